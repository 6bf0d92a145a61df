package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The check itself: it sees what it is meant to see, and nothing else. */
@Timeout(30)
class UncaughtCheckTest {
    static {
        UncaughtCheck.install();
    }

    @Test
    void anExceptionOnAKwaitVirtualThreadIsCaught() throws Exception {
        Thread.ofVirtual().name("kwait-probe").start(() -> { throw new IllegalStateException("probe"); }).join();
        AssertionError e = assertThrows(AssertionError.class, () -> UncaughtCheck.assertNoneCaught("x"));
        assertTrue(e.getMessage().contains("kwait-probe"), e.getMessage());
        assertDoesNotThrow(() -> UncaughtCheck.assertNoneCaught("x"), "reported once, then forgotten");
    }

    @Test
    void anErrorKwaitLogsIsCaught() {
        System.getLogger("io.kwait").log(System.Logger.Level.ERROR, "probe {0}", 1);
        AssertionError e = assertThrows(AssertionError.class, () -> UncaughtCheck.assertNoneCaught("x"));
        assertTrue(e.getMessage().contains("probe 1"), e.getMessage());
    }

    @Test
    void otherThreadsAndDebugRecordsAreLeftAlone() throws Exception {
        Thread.ofPlatform().name("someone-else").start(() -> {
            IllegalStateException e = new IllegalStateException("not ours");
            e.setStackTrace(new StackTraceElement[0]); // as if thrown by code that is not kwait's
            throw e;
        }).join();
        System.getLogger("io.kwait").log(System.Logger.Level.DEBUG, "a fallback", new RuntimeException("expected"));
        assertDoesNotThrow(() -> UncaughtCheck.assertNoneCaught("x"));
    }

    @Test
    void waitsForATaskThreadStillRunning() throws Exception {
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        Thread t = Thread.ofVirtual().name("kwait-late").start(() -> {
            running.countDown();
            long end = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < end) Thread.onSpinWait(); // mounted all along, like a last poll
        });
        running.await();
        assertTrue(UncaughtCheck.kwaitThreadsAlive(), "a running virtual thread shows through its carrier");
        UncaughtCheck.awaitKwaitThreadsEnd();
        assertTrue(!t.isAlive());
    }
}
