package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a conformance test (skipped unless {@code -Dkwait.measure=true}): for each
 * backend, 1,000 processes this JVM did not start are waited on at once, one task per process,
 * and killed one per millisecond. It prints the JVM's peak platform-thread count while waiting
 * and the delay from each {@code kill(2)} (SIGKILL, sent by {@code ProcessHandle.destroyForcibly})
 * to the moment the task waiting on that process returns from {@code kernel.wait} with its
 * {@code Fired}: median, 90th percentile and maximum.
 *
 * <pre>
 * mvn -pl tests test -Dtest=ExitLatencyMeasurement -Dkwait.measure=true
 * </pre>
 *
 * The kill time stands in for the exit time: a SIGKILLed sleeping process dies as soon as the
 * kernel delivers the signal, microseconds later, so the figure slightly overstates the delay,
 * equally on every backend. The processes are background {@code sleep}s of one shell (not our
 * children), which reaps them itself; the spacing keeps exits apart so each delay is its own.
 */
@EnabledIfSystemProperty(named = "kwait.measure", matches = "true")
class ExitLatencyMeasurement {
    private static final int COUNT = 1000;

    @Test
    @Timeout(120)
    void thousandProcessesPerBackend() throws Exception {
        for (Kernel.BackendInfo b : Kernel.backends()) {
            if (b.available() && b.priority() >= 0) measure(b.name());
        }
    }

    private static void measure(String backend) throws Exception {
        Process sh = new ProcessBuilder("sh", "-c",
                "i=0; while [ $i -lt " + COUNT + " ]; do sleep 60 </dev/null >/dev/null 2>&1 & echo $!; i=$((i+1)); done; wait")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        sh.getOutputStream().close();
        List<ProcessHandle> sleepers = new ArrayList<>(COUNT);
        try (Kernel kernel = Kernel.open(backend)) {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.US_ASCII))) {
                for (int i = 0; i < COUNT; i++) sleepers.add(ProcessHandle.of(Long.parseLong(out.readLine().trim())).orElseThrow());
            }
            long[] killed = new long[COUNT];
            long[] fired = new long[COUNT];
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            int before = threads.getThreadCount();
            threads.resetPeakThreadCount();
            Scheduler.run(kernel, () -> {
                List<Task<Void>> waiters = new ArrayList<>(COUNT);
                for (int i = 0; i < COUNT; i++) {
                    int k = i;
                    List<Event> exit = List.of(Event.exit(sleepers.get(k)));
                    waiters.add(Task.spawn(() -> {
                        kernel.wait(exit, null);
                        fired[k] = System.nanoTime();
                        return null;
                    }));
                }
                Task.yieldNow(); // every waiter runs (FIFO) until its wait suspends it
                Thread killer = Thread.ofPlatform().name("killer").start(() -> {
                    for (int i = 0; i < COUNT; i++) {
                        killed[i] = System.nanoTime();
                        sleepers.get(i).destroyForcibly();
                        LockSupport.parkNanos(1_000_000);
                    }
                });
                for (Task<Void> t : waiters) t.join();
                killer.join();
                return null;
            });
            int peak = threads.getPeakThreadCount();
            double[] delays = new double[COUNT];
            for (int i = 0; i < COUNT; i++) delays[i] = (fired[i] - killed[i]) / 1e6;
            Arrays.sort(delays);
            System.out.printf(Locale.ROOT, "[kwait] %-7s %d processes: platform threads %d before, peak %d;"
                            + " kill -> Fired: median %.3f ms, p90 %.3f ms, max %.3f ms%n",
                    backend, COUNT, before, peak, delays[COUNT / 2], delays[COUNT * 9 / 10], delays[COUNT - 1]);
            assertEquals(0, kernel.stats().processWatches());
        } finally {
            for (ProcessHandle h : sleepers) h.destroyForcibly();
            assertTrue(sh.waitFor(20, TimeUnit.SECONDS));
        }
    }
}
