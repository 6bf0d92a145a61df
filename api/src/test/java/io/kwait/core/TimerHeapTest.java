package io.kwait.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The timer heap against a sorted map, under random adds, removals and runs (equal deadlines included). */
class TimerHeapTest {

    @Test
    void firesInDeadlineThenInsertionOrderUnderRandomAddsAndRemovals() {
        SplittableRandom r = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            TimerHeap heap = new TimerHeap();
            TreeMap<long[], TimerHeap.Timer> model = new TreeMap<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
            List<TimerHeap.Timer> live = new ArrayList<>();
            List<long[]> keys = new ArrayList<>();
            List<TimerHeap.Timer> fired = new ArrayList<>();
            long seq = 0;
            long now = 0;
            int ops = 50 + r.nextInt(400);
            for (int op = 0; op < ops; op++) {
                int what = r.nextInt(10);
                if (what < 6) {
                    long deadline = now + r.nextLong(-5, 60); // overdue ones and ties too
                    long[] key = {deadline, seq++};
                    TimerHeap.Timer[] self = new TimerHeap.Timer[1];
                    TimerHeap.Timer t = heap.add(deadline, () -> fired.add(self[0]));
                    self[0] = t;
                    model.put(key, t);
                    live.add(t);
                    keys.add(key);
                } else if (what < 9 && !live.isEmpty()) {
                    int k = r.nextInt(live.size());
                    heap.remove(live.get(k));
                    heap.remove(live.get(k)); // a second removal does nothing
                    model.remove(keys.get(k));
                    live.remove(k);
                    keys.remove(k);
                } else {
                    now += r.nextInt(30);
                    fired.clear();
                    heap.runDue(now);
                    List<TimerHeap.Timer> expected = new ArrayList<>();
                    while (!model.isEmpty() && model.firstKey()[0] <= now) {
                        TimerHeap.Timer t = model.pollFirstEntry().getValue();
                        expected.add(t);
                        int k = live.indexOf(t);
                        live.remove(k);
                        keys.remove(k);
                    }
                    assertEquals(expected, fired);
                }
                assertEquals(model.size(), heap.size());
                assertEquals(model.isEmpty() ? Long.MAX_VALUE : model.firstKey()[0], heap.nextDeadline());
            }
            heap.clear();
            assertEquals(0, heap.size());
            for (TimerHeap.Timer t : live) assertTrue(t.index < 0, "cleared timers know they are out");
        }
    }
}
