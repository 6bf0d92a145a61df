package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.spi.Capability;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.Timeout;

/**
 * A thousand processes this JVM did not start, waited on at once: every exit is observed, and
 * where the backend watches processes natively ({@link Capability#PROCESS_EXIT}) the JVM's thread
 * count does not grow with the number of processes. Without it the core relays through
 * {@code ProcessHandle.onExit()}, for which the JDK runs one thread per non-child process, polling
 * it every 0.3-5 s; there the peak is only reported.
 *
 * <p>The processes are background {@code sleep}s of one shell, which prints their pids and then
 * {@code wait}s, so it reaps them itself. They are killed after every watch is in place; the
 * shell and anything left are killed after the test.
 */
@Timeout(60)
public abstract class ManyProcessesConformance extends ResourceConformanceSupport {

    private static final int COUNT = 1000;
    /** Threads the kernel, JUnit and the JDK may start meanwhile, independent of the count. */
    private static final int THREAD_SLACK = 20;

    @Test
    void aThousandProcessesThisJvmDidNotStartAreAllSeenToExit(TestReporter reporter) throws Exception {
        assumeTrue(maxOpenFiles() >= 3 * COUNT, "the open-file limit is too low for " + COUNT + " pidfds");
        Process sh = new ProcessBuilder("sh", "-c",
                "i=0; while [ $i -lt " + COUNT + " ]; do sleep 60 </dev/null >/dev/null 2>&1 & echo $!; i=$((i+1)); done; wait")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        sh.getOutputStream().close();
        List<ProcessHandle> sleepers = new ArrayList<>(COUNT);
        closeLater((AutoCloseable) () -> {
            for (ProcessHandle h : sleepers) h.destroyForcibly();
            if (!sh.waitFor(20, TimeUnit.SECONDS)) sh.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        });
        try (BufferedReader out = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.US_ASCII))) {
            for (int i = 0; i < COUNT; i++) {
                String line = out.readLine();
                assertTrue(line != null, "the shell printed only " + i + " pids");
                ProcessHandle.of(Long.parseLong(line.trim())).ifPresent(sleepers::add);
            }
        }
        assertEquals(COUNT, sleepers.size(), "every sleeper is alive until killed");
        long me = ProcessHandle.current().pid();
        for (ProcessHandle h : sleepers) assertTrue(h.parent().map(ProcessHandle::pid).orElse(-1L) != me, "not our child");

        List<Event> events = new ArrayList<>(COUNT);
        for (ProcessHandle h : sleepers) events.add(Event.exit(h));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int threadsBefore = threads.getThreadCount();
        threads.resetPeakThreadCount();

        assertEquals(List.of(), kernel.wait(events, Duration.ZERO), "all alive");
        assertEquals(COUNT, kernel.stats().processWatches(), kernel.stats().toString());
        int watchingThreads = reaperThreadsFor(sleepers);
        for (ProcessHandle h : sleepers) h.destroy();

        Set<Event> remaining = Collections.newSetFromMap(new IdentityHashMap<>());
        remaining.addAll(events);
        while (!remaining.isEmpty()) {
            List<Fired> fired = kernel.wait(new ArrayList<>(remaining), Duration.ofSeconds(20));
            assertFalse(fired.isEmpty(), remaining.size() + " exits not seen within 20 s");
            for (Fired f : fired) assertTrue(remaining.remove(f.event()), "fired twice: " + f);
        }
        int peak = threads.getPeakThreadCount();
        assertEquals(0, kernel.stats().processWatches(), kernel.stats().toString());
        String note = "backend " + backend() + ": " + threadsBefore + " threads before, peak " + peak + ", "
                + watchingThreads + " JDK threads watching one of the " + COUNT + " processes";
        reporter.publishEntry("threads", note);
        System.out.println("[kwait] " + note); // the build log shows the difference between backends
        if (kernel.capabilities().contains(Capability.PROCESS_EXIT)) {
            assertEquals(0, watchingThreads, "JDK threads watch processes the backend should watch natively");
            // Idle threads of the JDK's reaper pool may linger from an earlier test; the peak may not grow.
            assertTrue(peak <= threadsBefore + THREAD_SLACK, "thread count grew from " + threadsBefore + " to " + peak
                    + " while waiting on " + COUNT + " processes natively");
        }
        assertTrue(sh.waitFor(20, TimeUnit.SECONDS), "the shell reaped its children and ended");
    }

    /**
     * Live threads of the JDK's process reaper pool busy with one of {@code processes}: while it
     * watches a pid, such a thread is named {@code "process reaper (pid N)"}.
     */
    private static int reaperThreadsFor(List<ProcessHandle> processes) {
        Set<String> names = new java.util.HashSet<>();
        for (ProcessHandle h : processes) names.add("process reaper (pid " + h.pid() + ")");
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && names.contains(t.getName())) n++;
        }
        return n;
    }

    /** The soft limit on open files, from /proc/self/limits; unlimited where unknown. */
    private static long maxOpenFiles() throws IOException {
        Path limits = Path.of("/proc/self/limits");
        if (!Files.exists(limits)) return Long.MAX_VALUE;
        for (String line : Files.readAllLines(limits)) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return Long.MAX_VALUE;
    }
}
