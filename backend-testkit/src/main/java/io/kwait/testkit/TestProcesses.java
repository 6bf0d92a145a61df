package io.kwait.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The processes that process tests wait on, for the backends' unit tests and the conformance suite
 * alike: a child of this JVM, and a process this JVM did not start. The caller destroys (and, for
 * a child, reaps) what it gets, after the test.
 */
public final class TestProcesses {
    private TestProcesses() {}

    /** Starts {@code command} as a child of this JVM with its output discarded (no pipes) and its stdin closed. */
    public static Process child(String... command) throws IOException {
        Process p = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        p.getOutputStream().close();
        return p;
    }

    /**
     * {@link #child(String...)}, destroyed and reaped (at most 10 s) after the test by the closer
     * handed to {@code closeAfter} (a test's list of things to close).
     */
    public static Process child(Consumer<AutoCloseable> closeAfter, String... command) throws IOException {
        Process p = child(command);
        closeAfter.accept(() -> {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        });
        return p;
    }

    /**
     * A process this JVM did not start: {@code sh} starts a {@code sleep 30} in the background,
     * prints its pid and exits (reaped here), so the sleep is re-parented away from this JVM.
     */
    public static ProcessHandle notOurChild() throws IOException, InterruptedException {
        Process sh = new ProcessBuilder("sh", "-c", "sleep 30 </dev/null >/dev/null 2>&1 & echo $!")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        long pid;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.US_ASCII))) {
            sh.getOutputStream().close();
            pid = Long.parseLong(out.readLine().trim());
            assertTrue(sh.waitFor(20, TimeUnit.SECONDS), "sh did not exit after starting the sleep");
        } finally {
            sh.destroyForcibly();
            sh.getErrorStream().close();
        }
        return ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("the background sleep " + pid + " is gone already"));
    }
}
