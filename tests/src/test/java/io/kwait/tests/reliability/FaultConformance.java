package io.kwait.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.TaskScope;
import io.kwait.spi.Capability;
import io.kwait.tests.ConformanceBase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Faults a program meets in production, each while something waits: a peer that resets, a channel
 * closed by another task, a child killed by SIGKILL, a task that throws inside a scope, a storm of
 * signals, signals that interrupt the native wait itself (EINTR), and fd numbers the OS hands out
 * again. Every signal test first puts a counting handler of its own on USR1 and USR2 and never
 * puts the default back: the default (terminate) would end the test JVM if a coalesced delivery
 * arrived after the kernel restored it (issue 9 defect 6).
 */
public abstract class FaultConformance extends ConformanceBase {
    private static final Duration LONG_TIMER = Duration.ofSeconds(10);
    /** How soon a fault must end the wait: far below {@link #LONG_TIMER}, far above scheduling noise. */
    private static final long PROMPT_MS = 2_000;

    private static final SignalHandler SAFETY_NET = s -> { };
    private static boolean safetyNetInstalled;

    @BeforeEach
    void safetyNet() {
        synchronized (FaultConformance.class) {
            if (!safetyNetInstalled) {
                Signal.handle(new Signal("USR1"), SAFETY_NET);
                Signal.handle(new Signal("USR2"), SAFETY_NET);
                safetyNetInstalled = true;
            }
        }
    }

    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void reapChildren() throws Exception {
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            p.getInputStream().close();
            p.getErrorStream().close();
            p.getOutputStream().close();
        }
    }

    private SocketChannel[] connectedPair() throws IOException {
        ServerSocketChannel server = closeLater(ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        SocketChannel client = closeLater(SocketChannel.open(server.getLocalAddress()));
        SocketChannel served = closeLater(server.accept());
        served.configureBlocking(false);
        server.close();
        return new SocketChannel[] {client, served};
    }

    private static Fired firedFor(List<Fired> fired, Event e) {
        for (Fired f : fired) if (f.event() == e) return f;
        throw new AssertionError(e + " did not fire; fired: " + fired);
    }

    @Test
    void peerResetUnderAWaitingReaderEndsTheWait() throws Exception {
        SocketChannel[] pair = connectedPair();
        Event readable = Event.readable(pair[1]);
        Event timer = Event.after(LONG_TIMER);
        Scheduler.run(kernel, () -> {
            Task<List<Fired>> reader = Task.spawn(() -> kernel.wait(List.of(readable, timer), null));
            Task.yieldNow(); // the reader is now suspended in its wait
            long t0 = System.nanoTime();
            pair[0].setOption(StandardSocketOptions.SO_LINGER, 0);
            pair[0].close(); // RST, not FIN
            List<Fired> fired = reader.join();
            long ms = Reliability.ms(t0);
            firedFor(fired, readable);
            assertTrue(fired.stream().noneMatch(f -> f.event() == timer), "the timer fired instead: " + fired);
            assertTrue(ms < PROMPT_MS, "the reset ended the wait only after " + ms + " ms");
            boolean resetSeen;
            try {
                resetSeen = pair[1].read(ByteBuffer.allocate(16)) < 0;
            } catch (IOException reset) {
                resetSeen = true;
            }
            assertTrue(resetSeen, "the reader found neither a reset nor an end of stream");
            Reliability.figure(backend(), "fault/peer-reset", "wait ended " + ms + " ms after the RST: " + fired);
            return null;
        });
    }

    /**
     * Issue 9 defect 9, as the issue tells it: a plain thread waits on {@code [readable(s),
     * after(3s)]}, another closes {@code s} after 100 ms (a pace, not a synchronisation: closed
     * before the wait starts, the ERROR comes at once and the test passes). Before the fix nothing
     * ended the wait on epoll and kqueue, and on select only the timer did.
     */
    @Test
    void channelClosedByAnotherThreadEndsTheWaitWithError() throws Exception {
        SocketChannel[] pair = connectedPair();
        Event readable = Event.readable(pair[1]);
        Event timer = Event.after(Duration.ofSeconds(3));
        CountDownLatch waiting = new CountDownLatch(1);
        Object[] outcome = new Object[1];
        Thread waiter = Thread.ofPlatform().name("close-waiter").start(() -> {
            waiting.countDown();
            try {
                outcome[0] = kernel.wait(List.of(readable, timer), null);
            } catch (Throwable e) {
                outcome[0] = e;
            }
        });
        waiting.await();
        Thread.sleep(100);
        long t0 = System.nanoTime();
        pair[1].close();
        waiter.join(10_000);
        long ms = Reliability.ms(t0);
        if (outcome[0] instanceof Throwable t) throw new AssertionError("the wait threw: " + t, t);
        @SuppressWarnings("unchecked") List<Fired> fired = (List<Fired>) outcome[0];
        Fired f = firedFor(fired, readable);
        assertTrue(f.isError(), "closed under the wait, but no ERROR: " + f);
        assertTrue(ms < 1_000, "the ERROR came only after " + ms + " ms");
    }

    /** Issue 9 defect 9 between tasks of one scheduler (before the fix epoll reported only the timer). */
    @Test
    void channelClosedByAnotherTaskEndsTheWaitWithError() throws Exception {
        SocketChannel[] pair = connectedPair();
        Event readable = Event.readable(pair[1]);
        Event timer = Event.after(Duration.ofSeconds(3));
        Scheduler.run(kernel, () -> {
            Task<List<Fired>> reader = Task.spawn(() -> kernel.wait(List.of(readable, timer), null));
            Task.yieldNow();
            long t0 = System.nanoTime();
            pair[1].close();
            List<Fired> fired = reader.join();
            long ms = Reliability.ms(t0);
            Fired f = firedFor(fired, readable);
            assertTrue(f.isError(), "closed under the wait, but no ERROR: " + f);
            assertTrue(ms < 1_000, "the ERROR came only after " + ms + " ms");
            return null;
        });
    }

    @Test
    void childKilledBySigkillMidWaitEndsTheWaitWithItsStatus() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        children.add(child);
        Event exit = Event.exit(child);
        Event timer = Event.after(LONG_TIMER);
        Scheduler.run(kernel, () -> {
            Task<List<Fired>> waiter = Task.spawn(() -> kernel.wait(List.of(exit, timer), null));
            Task.yieldNow();
            long t0 = System.nanoTime();
            child.destroyForcibly(); // SIGKILL on Unix
            List<Fired> fired = waiter.join();
            long ms = Reliability.ms(t0);
            Fired f = firedFor(fired, exit);
            assertEquals(128 + 9, f.exitStatus().orElseThrow(), "a child killed by SIGKILL: " + f);
            assertTrue(ms < PROMPT_MS, "the exit was seen only after " + ms + " ms");
            Reliability.figure(backend(), "fault/sigkill-child", "exit seen " + ms + " ms after SIGKILL: " + f);
            return null;
        });
    }

    @Test
    void taskThatThrowsInsideAScopeCancelsItsSiblingsAndReachesTheOwner() throws Exception {
        Pipe pipe = pipe();
        Scheduler.run(kernel, () -> {
            IllegalStateException boom = new IllegalStateException("boom");
            Task<?>[] kids = new Task<?>[3];
            Task<List<Fired>>[] watcher = new Task[1];
            ExecutionException e;
            try (TaskScope scope = TaskScope.open()) {
                kids[0] = scope.spawn(() -> kernel.wait(List.of(Event.readable(pipe.source()), Event.after(LONG_TIMER)), null));
                kids[1] = scope.spawn(() -> { Task.sleep(LONG_TIMER); return null; });
                kids[2] = scope.spawn(() -> {
                    Task.yieldNow();
                    throw boom;
                });
                watcher[0] = Task.spawn(() -> kernel.wait(List.of(Event.done(kids[2])), null));
                e = assertThrows(ExecutionException.class, scope::join);
            }
            assertSame(boom, e.getCause());
            assertTrue(kids[0].isCancelled() && kids[1].isCancelled(), "siblings still ran: " + kids[0] + ", " + kids[1]);
            Fired done = watcher[0].join().get(0);
            assertTrue(done.isError() && done.error() == boom, "Event.done of the failed task: " + done);
            return null;
        });
    }

    @Test
    void signalStormIsCountedWithoutCrashing() throws Exception {
        assumeTrue(isLinux(), "signals are sent with kill(2) through JNR on Linux");
        int perSignal = 100; // 200 deliveries
        Event usr1 = Event.signal("USR1");
        Event usr2 = Event.signal("USR2");
        kernel.wait(List.of(usr1, usr2), Duration.ZERO); // watching from here on
        int pid = Libc.C.getpid();
        Thread storm = Thread.ofPlatform().name("signal-storm").start(() -> {
            for (int i = 0; i < perSignal; i++) {
                Libc.C.kill(pid, Libc.SIGUSR1);
                Libc.C.kill(pid, Libc.SIGUSR2);
            }
        });
        long c1 = 0, c2 = 0;
        int waits = 0;
        long t0 = System.nanoTime();
        // Until the storm is over and both were seen; then one short wait collects what is still on its way.
        while (storm.isAlive() || c1 == 0 || c2 == 0) {
            for (Fired f : kernel.wait(List.of(usr1, usr2), Duration.ofSeconds(5))) {
                if (f.event() == usr1) c1 += f.count();
                else c2 += f.count();
            }
            waits++;
            assertTrue(Reliability.ms(t0) < 20_000, "signals not seen: USR1 " + c1 + ", USR2 " + c2);
        }
        for (Fired f : kernel.wait(List.of(usr1, usr2), Duration.ofMillis(100))) {
            if (f.event() == usr1) c1 += f.count();
            else c2 += f.count();
        }
        storm.join();
        assertTrue(c1 >= 1 && c1 <= perSignal, "USR1 counted " + c1 + " times for " + perSignal + " deliveries");
        assertTrue(c2 >= 1 && c2 <= perSignal, "USR2 counted " + c2 + " times for " + perSignal + " deliveries");
        Reliability.figure(backend(), "fault/signal-storm", "200 deliveries counted as USR1 " + c1 + " + USR2 " + c2 + " over " + waits + " waits");
    }

    @Test
    void signalsInterruptingTheNativeWaitNeitherFailNorShortenIt() throws Exception {
        assumeTrue(isLinux(), "tgkill(2) through JNR on Linux");
        Pipe pipe = pipe();
        Event readable = Event.readable(pipe.source());
        Duration timerLength = Duration.ofMillis(300);
        int pid = Libc.C.getpid();
        int[] tid = new int[1];
        CountDownLatch started = new CountDownLatch(1);
        Object[] outcome = new Object[2];
        long[] timedMs = new long[1];
        Thread waiter = Thread.ofPlatform().name("eintr-waiter").start(() -> {
            tid[0] = Libc.C.gettid();
            started.countDown();
            try {
                long t0 = System.nanoTime();
                outcome[0] = kernel.wait(List.of(Event.after(timerLength)), null);
                timedMs[0] = Reliability.ms(t0);
                outcome[1] = kernel.wait(List.of(readable, Event.after(LONG_TIMER)), null);
            } catch (Throwable e) {
                outcome[0] = e;
            }
        });
        started.await();
        int sent = 0;
        long t0 = System.nanoTime();
        // Aim USR1 at the waiting thread for a while (each one that lands in epoll_wait, poll or
        // kevent makes it return EINTR), then make the pipe readable.
        while (Reliability.ms(t0) < 700) {
            Libc.C.tgkill(pid, tid[0], Libc.SIGUSR1);
            sent++;
            Thread.sleep(2); // a pace for the signals, not a synchronisation
        }
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        waiter.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(waiter.isAlive(), "the wait never ended");
        if (outcome[0] instanceof Throwable t) throw new AssertionError("a signal broke the wait: " + t, t);
        @SuppressWarnings("unchecked") List<Fired> timed = (List<Fired>) outcome[0];
        assertEquals(1, timed.size(), "the timer alone fires: " + timed);
        assertTrue(timedMs[0] >= timerLength.toMillis(), "a signal cut the " + timerLength + " timer short: " + timedMs[0] + " ms");
        @SuppressWarnings("unchecked") List<Fired> read = (List<Fired>) outcome[1];
        firedFor(read, readable);
        Reliability.figure(backend(), "fault/eintr", sent + " USR1 aimed at the waiting thread; timer kept (" + timedMs[0]
                + " ms for " + timerLength.toMillis() + "), readiness seen");
    }

    @Test
    void reusedChannelFdNumbersGetNoStaleEvents() throws Exception {
        int rounds = Reliability.scale(50, 2_000);
        for (int i = 0; i < rounds; i++) {
            Pipe old = Pipe.open();
            old.source().configureBlocking(false);
            old.sink().write(ByteBuffer.wrap(new byte[] {1}));
            Event oldReadable = Event.readable(old.source());
            assertEquals(1, kernel.wait(List.of(oldReadable), Duration.ofSeconds(5)).size());
            old.source().close(); // readable when closed, registration kept idle by the last wait
            old.sink().close();
            Pipe fresh = Pipe.open(); // the OS hands out the lowest free numbers: the old ones
            try {
                fresh.source().configureBlocking(false);
                Event freshReadable = Event.readable(fresh.source());
                List<Fired> none = kernel.wait(List.of(freshReadable), Duration.ofMillis(i == 0 ? 50 : 1));
                assertTrue(none.isEmpty(), "round " + i + ": a stale event reached the new owner of the fd: " + none);
                fresh.sink().write(ByteBuffer.wrap(new byte[] {2}));
                firedFor(kernel.wait(List.of(freshReadable), Duration.ofSeconds(5)), freshReadable);
                Fired closed = kernel.wait(List.of(oldReadable), Duration.ofSeconds(5)).get(0);
                assertTrue(closed.isError(), "a wait on the closed channel: " + closed);
            } finally {
                fresh.source().close();
                fresh.sink().close();
            }
        }
        Reliability.figure(backend(), "fault/fd-reuse-channels", rounds + " rounds of close-and-reuse: no stale event, no missed one");
    }

    /** Issue 9 defect 8: a raw fd closed and its number reused must not keep the old registration. */
    @Test
    void reusedRawFdNumbersGetNoStaleOrMissedEvents() throws Exception {
        requires(Capability.RAW_FD);
        int rounds = Reliability.scale(50, 2_000);
        byte[] one = {1};
        for (int i = 0; i < rounds; i++) {
            int[] old = Libc.pipe();
            Libc.C.write(old[1], one, 1);
            assertEquals(1, kernel.wait(List.of(Event.readable(old[0])), Duration.ofSeconds(5)).size());
            Libc.C.close(old[0]);
            Libc.C.close(old[1]);
            int[] fresh = Libc.pipe();
            try {
                assertEquals(old[0], fresh[0], "the OS did not reuse the number; the test cannot tell anything");
                Event freshReadable = Event.readable(fresh[0]);
                List<Fired> none = kernel.wait(List.of(freshReadable), Duration.ofMillis(1));
                assertTrue(none.isEmpty(), "round " + i + ": a stale event reached the new owner of fd " + fresh[0] + ": " + none);
                Libc.C.write(fresh[1], one, 1);
                List<Fired> seen = kernel.wait(List.of(freshReadable), Duration.ofSeconds(2));
                assertEquals(1, seen.size(), "round " + i + ": data written to the new fd " + fresh[0] + " was never reported");
            } finally {
                Libc.C.close(fresh[0]);
                Libc.C.close(fresh[1]);
            }
        }
    }

    static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
    }


}
