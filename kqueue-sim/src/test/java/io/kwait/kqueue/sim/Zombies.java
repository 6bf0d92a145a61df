package io.kwait.kqueue.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.epoll.Linux;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Processes this JVM did not start and whose parent never reaps them, for the EVFILT_PROC tests of
 * the simulation and of the kqueue backend on it (Linux only: {@code /proc} and pidfds).
 */
final class Zombies {
    private Zombies() {}

    /**
     * The inner shell's prelude: spin until the outer shell has become {@code sleep}, which never
     * reaps, so that the inner process becomes a zombie that stays (a shell would reap it).
     */
    static final String AFTER_PARENT_EXEC = "while [ \"$(cat /proc/$PPID/comm)\" != sleep ]; do :; done; ";

    /**
     * Runs {@code innerScript} in a child of a process that never reaps ({@code exec sleep}): a
     * zombie once it exited. Returns its pid; {@code closeAfter} gets what kills the sleeper after
     * the test.
     */
    static long orphanOfASleeper(String innerScript, Consumer<AutoCloseable> closeAfter) throws IOException {
        Process outer = new ProcessBuilder("sh", "-c", "sh -c '" + AFTER_PARENT_EXEC + innerScript
                + "' </dev/null >/dev/null 2>&1 & echo $!; exec sleep 60")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        outer.getOutputStream().close();
        closeAfter.accept(() -> {
            outer.destroyForcibly();
            outer.waitFor(10, TimeUnit.SECONDS);
        });
        try (BufferedReader r = new BufferedReader(new InputStreamReader(outer.getInputStream(), StandardCharsets.US_ASCII))) {
            return Long.parseLong(r.readLine().trim());
        }
    }

    /** Blocks until {@code pid} exited (its pidfd is readable), without reaping it. */
    static void awaitExit(long pid) {
        LibC libc = LibCRuntime.libc();
        int pidfd = (int) libc.syscall(Linux.SYS_PIDFD_OPEN, (int) pid, 0);
        assertTrue(pidfd >= 0, "pidfd_open");
        try {
            Memory pfd = new Memory(8);
            pfd.bytes.putInt(0, pidfd);
            pfd.bytes.putShort(4, (short) 1);
            assertEquals(1, libc.poll(pfd.address, 1, 10_000), "the process did not exit");
        } finally {
            libc.close(pidfd);
        }
    }
}
