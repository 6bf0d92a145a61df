package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Task;
import io.kwait.TimeSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Signals delivered to this JVM, sent by {@code kill} from a child process.
 *
 * <p>Safety: a signal is only ever sent while a kwait kernel watches it (asserted before every
 * send), and each test first puts a counting handler of its own on USR1 and WINCH, so that even a
 * kwait bug that dropped its handler could not let the default action (USR1: terminate) end the
 * test JVM. The original handlers are put back after the test. TERM, INT and HUP are never sent.
 */
@Timeout(20)
public abstract class SignalConformance extends ResourceConformanceSupport {

    private static final Duration PATIENCE = Duration.ofSeconds(10);
    /** How long kwait's handler stays after the last watch ends (documented on {@code Event.signal}). */
    private static final Duration GRACE = Duration.ofSeconds(1);

    private final Signal usr1 = new Signal("USR1");
    private final Signal winch = new Signal("WINCH");
    private SignalHandler usr1Original, winchOriginal;
    /** Deliveries that reached the safety-net handlers instead of kwait. */
    private final AtomicInteger safetyNetUsr1 = new AtomicInteger();
    private volatile CountDownLatch safetyNetHit = new CountDownLatch(1);
    private final SignalHandler safetyNet = s -> {
        safetyNetUsr1.incrementAndGet();
        safetyNetHit.countDown();
    };
    private Kernel second;

    @BeforeEach
    void installSafetyNet() {
        usr1Original = Signal.handle(usr1, safetyNet);
        winchOriginal = Signal.handle(winch, s -> { });
    }

    @AfterEach
    void removeSafetyNet() {
        // Close the kernels first, so kwait puts back our safety net, and then ours the original.
        kernel.close();
        if (second != null) second.close();
        // Never put the default action back: USR1's kills the JVM, and a coalesced delivery of this
        // test may still be on its way. What stays for the rest of the run only counts.
        Signal.handle(usr1, usr1Original == SignalHandler.SIG_DFL ? LAST_RESORT : usr1Original);
        Signal.handle(winch, winchOriginal);
    }

    /** Stands in for USR1's default action (terminate) once a signal test has run. */
    private static final SignalHandler LAST_RESORT = s -> { };

    /** Sends {@code SIG<name>} to this JVM with kill(1) and waits for kill to finish. */
    private static void kill(Kernel watching, String name) throws Exception {
        assertTrue(watching.stats().signalWatches() > 0, "refusing to send SIG" + name + ": no kernel watches it");
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(ProcessHandle.current().pid()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            k.getOutputStream().close();
            assertTrue(k.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS), "kill did not finish");
            assertEquals(0, k.exitValue(), "kill -" + name + " failed");
        } finally {
            k.destroyForcibly();
        }
    }

    // ------------------------------------------------------------------ delivery

    @Test
    void signalWakesABlockedWait() throws Exception {
        inScheduler(kernel, () -> {
            Event sig = Event.signal("USR1");
            // Runs once the root task is suspended in its wait, so the kernel watches USR1 by then.
            Task<Void> sender = Task.spawn(() -> { kill(kernel, "USR1"); return null; });
            List<Fired> f = kernel.wait(List.of(sig), null);
            assertFiredExactly(f, sig);
            assertEquals(Filter.SIGNAL, f.get(0).filter());
            assertTrue(f.get(0).count() >= 1, f.toString());
            assertEquals(f.get(0).count(), f.get(0).data());
            joinTask(sender);
            return null;
        });
        assertEquals(0, safetyNetUsr1.get(), "the signal reached the previous handler instead of kwait");
    }

    @Test
    void deliveriesBetweenWaitsAreKeptForTheNextWait() throws Exception {
        Event sig = Event.signal("USR1");
        List<Event> events = List.of(sig);
        assertEquals(List.of(), kernel.wait(events, Duration.ZERO)); // starts watching
        assertEquals(1, kernel.stats().signalWatches(), "a watched signal stays watched between waits");

        for (int i = 0; i < 3; i++) kill(kernel, "USR1"); // no wait is active now
        List<Fired> f = kernel.wait(events, PATIENCE);
        assertFiredExactly(f, sig);
        long count = f.get(0).count();
        // The OS may merge deliveries of a pending signal; at least one, never more than were sent.
        assertTrue(count >= 1 && count <= 3, "count " + count);
        while (count < 3) {
            List<Fired> more = kernel.wait(events, Duration.ZERO);
            if (more.isEmpty()) break;
            count += more.get(0).count();
        }
        assertTrue(count <= 3, "reported " + count + " deliveries of 3");
        assertEquals(0, safetyNetUsr1.get());
        assertEquals(0, kernel.stats().timers());
    }

    @Test
    void onlyTheSignalThatCameFires() throws Exception {
        Event u = Event.signal("USR1");
        Event w = Event.signal("SIGWINCH");
        List<Event> events = List.of(u, w);
        assertEquals(List.of(), kernel.wait(events, Duration.ZERO));
        assertEquals(2, kernel.stats().signalWatches());

        kill(kernel, "WINCH");
        assertFiredExactly(kernel.wait(events, PATIENCE), w);
        kill(kernel, "USR1");
        assertFiredExactly(kernel.wait(events, PATIENCE), u);
        assertEquals(List.of(), kernel.wait(events, Duration.ZERO), "each delivery is reported once");
    }

    @Test
    void everyKernelWatchingASignalHearsIt() throws Exception {
        second = Kernel.builder().backend(backend()).timeSource(TimeSource.system()).open();
        Event a = Event.signal("USR1");
        Event b = Event.signal("USR1");
        assertEquals(List.of(), kernel.wait(List.of(a), Duration.ZERO));
        assertEquals(List.of(), second.wait(List.of(b), Duration.ZERO));

        kill(kernel, "USR1");
        assertFiredExactly(kernel.wait(List.of(a), PATIENCE), a);
        assertFiredExactly(second.wait(List.of(b), PATIENCE), b);

        // Closing one leaves the other watching (and the JVM's default action out of play).
        second.close();
        assertEquals(0, second.stats().signalWatches());
        kill(kernel, "USR1");
        assertFiredExactly(kernel.wait(List.of(a), PATIENCE), a);
        assertEquals(0, safetyNetUsr1.get(), "closing one kernel put the previous handler back too early");
    }

    // ------------------------------------------------------------------ names

    @Test
    void namesWithOrWithoutSigAndInAnyCase() {
        for (String name : List.of("USR1", "SIGUSR1", "usr1", "SigUsr1")) {
            Event e = Event.signal(name);
            assertEquals("USR1", e.resource(), name);
            assertEquals(Filter.SIGNAL, e.filter());
            assertEquals(Event.Kind.SIGNAL, e.kind());
        }
        assertEquals("TERM", Event.signal("SIGTERM").resource());
    }

    @Test
    void reservedSignalsAreRefusedWithTheReason() {
        for (String name : List.of("QUIT", "KILL", "STOP", "SIGKILL", "segv")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Event.signal(name), name);
            String upper = name.toUpperCase(java.util.Locale.ROOT).replaceFirst("^SIG", "");
            assertTrue(e.getMessage().contains(upper), e.getMessage());
            assertTrue(e.getMessage().contains("cannot"), "the message says why: " + e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Event.signal("NOPE"));
        assertTrue(e.getMessage().contains("NOPE"), e.getMessage());
        assertTrue(e.getMessage().contains("USR1"), "the message lists the known names: " + e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Event.signal(""));
        assertThrows(NullPointerException.class, () -> Event.signal(null));
    }

    // ------------------------------------------------------------------ lifecycle

    @Test
    void closeRestoresThePreviousHandler() throws Exception {
        Event sig = Event.signal("USR1");
        assertEquals(List.of(), kernel.wait(List.of(sig), Duration.ZERO));
        kill(kernel, "USR1");
        assertFiredExactly(kernel.wait(List.of(sig), PATIENCE), sig);
        assertEquals(0, safetyNetUsr1.get(), "kwait's handler must replace the previous one while watching");

        safetyNetHit = new CountDownLatch(1);
        kernel.close();
        long closed = System.nanoTime();
        assertEquals(0, kernel.stats().signalWatches());
        // Our safety net is the previous handler. kwait's stays for the grace period, swallowing
        // what comes (issue 9 defect 6); then ours is back: send until it hears one.
        long deadline = closed + GRACE.toNanos() + PATIENCE.toNanos();
        int sent = 0;
        do {
            assertTrue(System.nanoTime() < deadline, "the previous handler was not back " + GRACE.plus(PATIENCE) + " after close");
            Signal.raise(usr1); // at once, unlike a kill(1) child: the first falls well within the grace period
            sent++;
        } while (!safetyNetHit.await(50, TimeUnit.MILLISECONDS));
        long heardMs = (System.nanoTime() - closed) / 1_000_000;
        assertTrue(heardMs >= GRACE.toMillis(), "the previous handler was back " + heardMs + " ms after close, within the "
                + GRACE.toMillis() + " ms grace period");
        assertTrue(safetyNetUsr1.get() >= 1 && safetyNetUsr1.get() < sent, "sends within the grace period reached the previous "
                + "handler: " + safetyNetUsr1.get() + " of " + sent);
        // The thread that put it back ends once no restore is due (another test's may still be due: bounded).
        for (long end = System.nanoTime() + GRACE.plus(PATIENCE).toNanos(); restorerAlive(); ) {
            assertTrue(System.nanoTime() < end, SIGNAL_RESTORER + " still alive " + GRACE.plus(PATIENCE) + " after the restore");
            Thread.sleep(10); // polling a thread list: there is no join on a thread we do not hold
        }
    }

    private static boolean restorerAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(SIGNAL_RESTORER));
    }

    /**
     * Issue 9 defect 6: a watch taken up again within the grace period after the last one ended
     * puts kwait's handler back in front of a handler installed meanwhile, which is the one that
     * comes back afterwards.
     */
    @Test
    void aHandlerInstalledWithinTheGracePeriodIsTheOneRestored() throws Exception {
        Event sig = Event.signal("USR1");
        kernel.watch(sig);
        kernel.unwatch(sig); // the grace period starts: kwait's handler stays, swallowing
        AtomicInteger mine = new AtomicInteger();
        CountDownLatch mineHit = new CountDownLatch(1);
        Signal.handle(usr1, s -> {
            mine.incrementAndGet();
            mineHit.countDown();
        });
        try {
            kernel.watch(sig); // kwait's handler again, in front of the one just installed
            kill(kernel, "USR1");
            assertFiredExactly(kernel.wait(List.of(sig), PATIENCE), sig);
            assertEquals(0, mine.get(), "kwait's handler must be in front while a kernel watches");
            kernel.unwatch(sig);
            long unwatched = System.nanoTime();
            do {
                assertTrue(System.nanoTime() - unwatched < GRACE.plus(PATIENCE).toNanos(), "the handler installed meanwhile was not back");
                Signal.raise(usr1);
            } while (!mineHit.await(50, TimeUnit.MILLISECONDS));
            assertEquals(0, safetyNetUsr1.get(), "the handler kwait replaced first came back instead of the newer one");
        } finally {
            Signal.handle(usr1, safetyNet);
        }
    }

    @Test
    void repeatedWaitsKeepOneWatch() throws Exception {
        Event sig = Event.signal("USR1");
        for (int i = 0; i < 100; i++) {
            assertEquals(List.of(), kernel.wait(List.of(sig, Event.signal("USR1")), Duration.ZERO));
            assertEquals(1, kernel.stats().signalWatches());
            assertEquals(0, kernel.stats().timers());
        }
        assertFalse(kernel.isClosed());
    }

    // ------------------------------------------------------------------ issue 9: abandoned waits

    /**
     * Issue 9, defect 10: an interrupted wait, the only one on USR1, leaves no signal watch at
     * once (the previous handler, the safety net, is back after the grace period).
     */
    @Test
    void anInterruptedWaitOnASignalLeavesNoWatch() throws Exception {
        assertInterruptedWaitLeavesNoWatch(Event.signal("USR1"), Kernel.Stats::signalWatches);
    }

    /** Issue 9, defect 10: a cancelled task's wait on a signal leaves no signal watch. */
    @Test
    void aCancelledWaitOnASignalLeavesNoWatch() throws Exception {
        assertCancelledWaitLeavesNoWatch(Event.signal("USR1"), Kernel.Stats::signalWatches);
    }

    // ------------------------------------------------------------------ issue 9: refused at construction

    /** Issue 9, defect 16: a signal this platform lacks (INFO on Linux) is refused by Event.signal itself. */
    @Test
    void aSignalThePlatformLacksIsRefusedAtConstruction() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"),
                "INFO exists on macOS and the BSDs");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Event.signal("INFO"));
        assertTrue(e.getMessage().contains("INFO"), e.getMessage());
        assertEquals(0, kernel.stats().signalWatches());
    }

    /**
     * Issue 9, defect 15: {@code Kernel.watch} starts watching a signal before the first wait (a
     * delivery then is counted, never handed to the previous handler), keeps the watch through an
     * abandoned wait, and {@code unwatch} ends it without closing the kernel.
     */
    @Test
    void aSignalWatchedBeforeTheFirstWaitIsCountedUntilUnwatched() throws Exception {
        Event sig = Event.signal("USR1");
        kernel.watch(sig);
        assertEquals(1, kernel.stats().signalWatches(), kernel.stats().toString());
        kill(kernel, "USR1"); // before any wait
        List<Fired> f = kernel.wait(List.of(sig), PATIENCE);
        assertFiredExactly(f, sig);
        assertEquals(1, f.get(0).count());
        assertEquals(0, safetyNetUsr1.get(), "the delivery reached the previous handler");

        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedException.class, () -> kernel.wait(List.of(sig), null));
        } finally {
            Thread.interrupted();
        }
        assertEquals(1, kernel.stats().signalWatches(), "an abandoned wait keeps a watch started by watch()");

        kernel.unwatch(sig);
        assertEquals(0, kernel.stats().signalWatches(), kernel.stats().toString());
        kernel.unwatch(sig); // not watched: nothing to do
        assertThrows(IllegalArgumentException.class, () -> kernel.watch(Event.after(Duration.ZERO)));
    }
}
