package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Chan;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the README's cooperative contract promises at run time: the watchdog reports a task that
 * runs too long without waiting (once, by name, with its stack), stays quiet for tasks that wait,
 * is off with {@code -Dkwait.watchdog.ms=0} and leaves no thread behind; and the scheduler holds
 * no monitor a user can take ({@code synchronized (kernel)}). Runs on both strands through the
 * suite's two surefire executions.
 */
@ExtendWith(UncaughtCheck.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CooperativeContractTest {
    static final String PROPERTY = "kwait.watchdog.ms";
    static final String THREAD = "kwait-watchdog";

    /** The watchdog's records, through java.util.logging, where the test JVM's logger finder passes them. */
    private final Logger jul = Logger.getLogger("io.kwait.watchdog");
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override public void publish(LogRecord r) { records.add(r); }
        @Override public void flush() {}
        @Override public void close() {}
    };
    private Kernel kernel;

    @BeforeEach
    void open() {
        jul.addHandler(capture);
        kernel = Kernel.open("select");
    }

    @AfterEach
    void close() {
        System.clearProperty(PROPERTY);
        jul.removeHandler(capture);
        kernel.close();
    }

    /** Spins without waiting until the watchdog has reported something, or for {@code max}. */
    private void spinUntilReported(Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (records.isEmpty() && System.nanoTime() < end) Thread.onSpinWait();
    }

    private static void spinFor(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) Thread.onSpinWait();
    }

    private static boolean watchdogAlive() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().equals(THREAD)) return true;
        }
        return false;
    }

    /** Runs {@code body} as a root task; returns whether the watchdog thread was alive as it started. */
    private boolean runWatching(Callable<?> body) throws Exception {
        return Scheduler.run(kernel, () -> {
            boolean alive = watchdogAlive();
            body.call();
            return alive;
        });
    }

    @Test
    void aTaskThatSpinsPastTheThresholdIsReportedOnceByNameWithItsStack() throws Exception {
        System.setProperty(PROPERTY, "100");
        Scheduler.run(kernel, () -> {
            Task<?> other = Task.spawn("patient", () -> { Task.yieldNow(); return null; });
            Task<?> spinner = Task.spawn("spinner", () -> {
                spinUntilReported(Duration.ofSeconds(20));
                spinFor(Duration.ofMillis(400)); // still the same task: no second report
                Task.yieldNow();
                spinFor(Duration.ofMillis(400)); // stuck again after a yield: at most once per task
                return null;
            });
            spinner.join();
            other.join();
            return null;
        });
        assertEquals(1, records.size(), "records: " + records.stream().map(LogRecord::getMessage).toList());
        LogRecord r = records.get(0);
        assertEquals(java.util.logging.Level.WARNING, r.getLevel());
        assertEquals(null, r.getThrown(), "a report, not a caught exception");
        String m = r.getMessage();
        assertTrue(m.contains("task 'spinner'"), m);
        assertTrue(m.contains("without waiting or yielding"), m);
        assertTrue(m.contains(CooperativeContractTest.class.getName() + ".spinUntilReported"), "the stuck stack: " + m);
        assertFalse(watchdogAlive(), "the watchdog thread ends with the last scheduler");
    }

    @Test
    void tasksThatWaitOftenAreNotReported() throws Exception {
        System.setProperty(PROPERTY, "300");
        boolean watched = runWatching(() -> {
            Chan<Integer> chan = Chan.bounded(1);
            Task<?> producer = Task.spawn("producer", () -> {
                for (int i = 0; i < 200; i++) {
                    spinFor(Duration.ofMillis(1));
                    chan.send(i);
                }
                chan.close();
                return null;
            });
            for (int i : chan) {
                if (i % 10 == 0) Task.sleep(Duration.ofMillis(1));
            }
            producer.join();
            return null;
        });
        assertTrue(watched, "the watchdog runs while a scheduler does");
        assertEquals(List.of(), records.stream().map(LogRecord::getMessage).toList());
    }

    @Test
    void zeroTurnsItOff() throws Exception {
        System.setProperty(PROPERTY, "0");
        boolean watched = runWatching(() -> {
            spinFor(Duration.ofMillis(300));
            return null;
        });
        assertFalse(watched, "no watchdog thread with -D" + PROPERTY + "=0");
        assertEquals(List.of(), records.stream().map(LogRecord::getMessage).toList());
    }

    @Test
    void aBadThresholdIsAnErrorNamingTheProperty() {
        System.setProperty(PROPERTY, "soon");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scheduler.run(kernel, () -> null));
        assertTrue(e.getMessage().contains("-D" + PROPERTY + "=soon"), e.getMessage());
    }

    /** Issue 11: Scheduler.run synchronised on the public Kernel, so a user's lock on it froze every task. */
    @Test
    void aUsersLockOnTheKernelDoesNotBlockTheScheduler() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().name("holds-the-kernel").start(() -> {
            synchronized (kernel) {
                held.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            assertTrue(held.await(10, TimeUnit.SECONDS));
            int sum = Scheduler.run(kernel, () -> {
                Chan<Integer> chan = Chan.rendezvous();
                Task<?> t = Task.spawn(() -> {
                    for (int i = 1; i <= 3; i++) chan.send(i);
                    return null;
                });
                Task.sleep(Duration.ofMillis(5));
                int s = chan.receive() + chan.receive() + chan.receive();
                t.join();
                return s;
            });
            assertEquals(6, sum);
            assertTrue(holder.isAlive(), "the lock was held throughout");
        } finally {
            release.countDown();
            holder.join(10_000);
        }
    }
}
