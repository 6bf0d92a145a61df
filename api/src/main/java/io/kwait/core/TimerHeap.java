package io.kwait.core;

import java.util.Arrays;

/**
 * Min-heap of deadlines on the kernel's monotonic clock, with O(log n) removal through the index
 * each timer keeps (a wait that ends removes its timers at once, so cancelled timers never pile
 * up). Touched only by the kernel's owner thread.
 *
 * <p>Why it is shaped so: schedule-then-cancel is the common life of a timer here (a wait's timeout
 * ends with the wait), and a removal moves the heap's last, usually late, timer into the hole and
 * sifts it down to the bottom. The heap is 4-ary, which halves the levels of a binary heap (a
 * level costs one cache line of children, not one per child), and the deadlines sit in their own
 * {@code long[]} beside the timers, so a sift compares numbers without touching a timer object
 * (the insertion sequence that orders equal deadlines is read only on a tie).
 */
final class TimerHeap {

    /** One scheduled deadline. */
    static final class Timer {
        final long deadline;
        final Runnable action;
        int index = -1;
        long seq;

        Timer(long deadline, Runnable action) {
            this.deadline = deadline;
            this.action = action;
        }
    }

    private Timer[] timers = new Timer[16];
    private long[] deadlines = new long[16];
    private int size;
    private long seq; // ties fire in insertion order

    int size() { return size; }

    Timer add(long deadline, Runnable action) {
        Timer n = new Timer(deadline, action);
        n.seq = seq++;
        if (size == timers.length) {
            timers = Arrays.copyOf(timers, size * 2);
            deadlines = Arrays.copyOf(deadlines, size * 2);
        }
        siftUp(size++, n);
        return n;
    }

    void remove(Timer n) {
        int i = n.index;
        if (i < 0) return;
        n.index = -1;
        int last = --size;
        Timer moved = timers[last];
        timers[last] = null;
        if (i == last) return;
        // The moved timer goes up if it is earlier than the hole's parent, else down.
        if (i > 0 && before(moved, deadlines[(i - 1) >>> 2], timers[(i - 1) >>> 2])) siftUp(i, moved);
        else siftDown(i, moved);
    }

    /** Earliest deadline, or {@code Long.MAX_VALUE} when empty. */
    long nextDeadline() { return size == 0 ? Long.MAX_VALUE : deadlines[0]; }

    /** Removes and runs every timer due at {@code now}, in deadline then insertion order. */
    void runDue(long now) {
        while (size > 0 && deadlines[0] - now <= 0) {
            Timer n = timers[0];
            remove(n);
            n.action.run();
        }
    }

    void clear() {
        for (int i = 0; i < size; i++) { timers[i].index = -1; timers[i] = null; }
        size = 0;
    }

    /** Whether {@code a} fires before the timer {@code b} whose deadline is {@code bDeadline} (wrap-safe). */
    private static boolean before(Timer a, long bDeadline, Timer b) {
        long d = a.deadline - bDeadline;
        return d < 0 || (d == 0 && a.seq < b.seq);
    }

    /** Places {@code n} at hole {@code i} or above it. */
    private void siftUp(int i, Timer n) {
        long d = n.deadline;
        Timer[] t = timers;
        long[] dl = deadlines;
        while (i > 0) {
            int p = (i - 1) >>> 2;
            long diff = d - dl[p];
            if (diff > 0 || (diff == 0 && n.seq > t[p].seq)) break;
            put(i, t[p]);
            i = p;
        }
        put(i, n);
    }

    private void put(int i, Timer n) {
        timers[i] = n;
        deadlines[i] = n.deadline;
        n.index = i;
    }

    /** Places {@code n} at hole {@code i} or below it. */
    private void siftDown(int i, Timer n) {
        long d = n.deadline;
        Timer[] t = timers;
        long[] dl = deadlines;
        int size = this.size;
        while (true) {
            int c = 4 * i + 1;
            if (c >= size) break;
            // The earliest of up to four children.
            int best = c;
            long bd = dl[c];
            int end = Math.min(c + 4, size);
            for (int k = c + 1; k < end; k++) {
                long kd = dl[k];
                long diff = kd - bd;
                if (diff < 0 || (diff == 0 && t[k].seq < t[best].seq)) {
                    best = k;
                    bd = kd;
                }
            }
            long diff = bd - d;
            if (diff > 0 || (diff == 0 && t[best].seq > n.seq)) break;
            put(i, t[best]);
            i = best;
        }
        put(i, n);
    }
}
