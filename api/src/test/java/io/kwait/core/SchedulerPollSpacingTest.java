package io.kwait.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Event;
import io.kwait.TimeSource;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;
import java.io.IOException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A burst: thousands of channels become ready at once, each with a task waiting for it. A
 * level-triggered kernel hands every still-ready source to every poll (the backend skips the fired
 * ones, but the kernel has visited them), so the scheduler's non-blocking polls while the woken
 * tasks drain must be spaced by the number of fired sources, not by a fixed 61 switches: the
 * sources all polls visit stay linear in the burst, not quadratic. Counted on a backend that
 * behaves as such a kernel, not timed.
 */
class SchedulerPollSpacingTest {
    private final List<DatagramChannel> open = new ArrayList<>();

    @AfterEach
    void closeChannels() throws IOException {
        for (DatagramChannel c : open) c.close();
    }

    @Test
    void aBurstOfReadinessCostsPollsLinearInItsSize() throws Exception {
        int n = 3_000;
        LevelTriggered backend = new LevelTriggered();
        Loop loop = new Loop(backend, TimeSource.system());
        List<DatagramChannel> channels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            DatagramChannel c = DatagramChannel.open();
            open.add(c);
            c.configureBlocking(false);
            channels.add(c);
        }
        int[] served = new int[1];
        SchedulerCore core = new SchedulerCore(loop, null);
        core.run(() -> {
            List<TaskCore> tasks = new ArrayList<>();
            for (DatagramChannel c : channels) {
                tasks.add(core.spawn(null, () -> {
                    loop.wait(new Event[] {Event.readable(c)}, null);
                    backend.ready.remove(c); // it reads what made it ready
                    served[0]++;
                    return null;
                }, null));
            }
            TaskCore.current().yieldNow(); // every task runs up to its wait first (FIFO)
            assertEquals(n, backend.registered.size(), "every task waits");
            backend.ready.addAll(channels); // the burst
            backend.visited = 0;
            for (TaskCore t : tasks) t.join();
            return null;
        });
        assertEquals(n, served[0]);
        // Spaced by the fired sources: about 2n. Every 61 switches it was about n * n / 122 (~74,000 here).
        assertTrue(backend.visited <= 3L * n, "the polls while " + n + " woken tasks ran visited " + backend.visited
                + " ready sources; linear would be at most " + 3L * n);
    }

    /** Reports every registered source that is ready and wanted, at every poll, as epoll and select do. */
    private static final class LevelTriggered implements Backend {
        final Map<Source, Integer> registered = new HashMap<>();
        final Set<SelectableChannel> ready = new HashSet<>();
        /** Ready sources handed out by the "kernel", fired ones included (the backend skips those). */
        long visited;

        @Override public String name() { return "level-triggered"; }

        @Override public Set<Capability> capabilities() { return Set.of(); }

        @Override public void register(Source source, int interest) { registered.put(source, interest); }

        @Override public void deregister(Source source) { registered.remove(source); }

        @Override
        public int poll(long timeoutNanos, ReadySink sink) {
            int reported = 0;
            for (Map.Entry<Source, Integer> e : new ArrayList<>(registered.entrySet())) {
                Source s = e.getKey();
                if ((e.getValue() & Interest.READ) == 0 || !ready.contains(s.channel())) continue;
                visited++;
                if ((Interest.READ & ~s.fired()) == 0) continue; // fired: skipped, as the real backends do
                reported++;
                sink.ready(s, Interest.READ, 0, 0, null);
            }
            return reported;
        }

        @Override public void wakeup() {}

        @Override public int registrationCount() { return registered.size(); }

        @Override public void close() { registered.clear(); }
    }
}
