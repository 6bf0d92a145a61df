package io.kwait.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Chan;
import io.kwait.ClosedKernelException;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.TaskCancelledException;
import io.kwait.TimeSource;
import io.kwait.tests.ConformanceBase;
import io.kwait.tests.UncaughtCheck;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Races flushed by repetition: shutdown right after the root task returns, cancellation landing
 * together with readiness, and wake-ups from other threads (a send, a completed future, a task
 * spawned from outside, a manual clock advanced, a kernel closed under a waiting thread). A few
 * dozen rounds each in the short mode, hundreds in the long mode; an exception on a task's own
 * thread fails the test through {@link UncaughtCheck}.
 */
@Timeout(value = 2, unit = TimeUnit.HOURS) // the real bound is Reliability.budget()
public abstract class RaceConformance extends ConformanceBase {
    private static final Duration LONG_TIMER = Duration.ofSeconds(10);

    /** Rounds of one race: returns the text of its figure line. */
    @FunctionalInterface
    private interface Rounds {
        String run(int rounds) throws Exception;
    }

    /**
     * Runs {@code race} for {@code Reliability.scale(shortRounds, longRounds)} rounds within the
     * budget ({@link Reliability#bounded}), then prints its figure line {@code name}: the text the
     * race returned, and the time it took.
     */
    private void race(String name, int shortRounds, int longRounds, Rounds race) {
        int rounds = Reliability.scale(shortRounds, longRounds);
        long t0 = System.nanoTime();
        String text = Reliability.bounded(() -> race.run(rounds));
        Reliability.figure(backend(), name, text + "; " + Reliability.ms(t0) + " ms");
    }

    /**
     * Issue 9 defect 1 (fixed): on the virtual strand the root's thread still polled the kernel after
     * {@code Scheduler.run} returned, so the caller's close races it ({@code ClosedSelectorException}
     * on {@code kwait-main}, about 1 run in 15 on select). In a warm JVM the window is narrow and
     * this loop rarely hits it (the cold-JVM test below does, within about 60 JVMs); it stays
     * here, tagged, as the in-process form of the race. The continuation strand polls on the
     * caller's thread and cannot race.
     */
    @Test
    void closingRightAfterTheRootReturnsRacesNothing() throws Exception {
        int rounds = Reliability.scale(500, 5_000);
        long t0 = System.nanoTime();
        assertTimeoutPreemptively(Reliability.budget(), () -> {
            for (int i = 0; i < rounds; i++) {
                try (Kernel k = Kernel.open(backend())) {
                    assertEquals(i, Scheduler.run(k, () -> 0) + i);
                }
            }
        });
        UncaughtCheck.awaitKwaitThreadsEnd();
        UncaughtCheck.assertNoneCaught("closingRightAfterTheRootReturnsRacesNothing");
        Reliability.figure(backend(), "race/shutdown", rounds + " run-and-close rounds clean; " + Reliability.ms(t0) + " ms");
    }

    /**
     * Issue 9 defect 1 where it shows: in cold JVMs, each running one scheduler (see
     * {@link ShutdownRaceMain}); before the fix one JVM in about 15 failed (JVM 10 of 60 here).
     * Virtual strand only: the continuation strand polls on the caller's thread and cannot race.
     * A JVM costs about a second, so the short mode runs 6.
     */
    @Test
    void closingRightAfterTheRootReturnsRacesNothingInAColdJvm() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Reliability.strand().equals("virtual"), "the race is the virtual strand's");
        int jvms = Reliability.scale(6, 300);
        List<String> command = new java.util.ArrayList<>();
        command.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) command.add(a);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ShutdownRaceMain.class.getName(), backend()));
        long t0 = System.nanoTime();
        assertTimeoutPreemptively(Reliability.budget(), () -> {
            for (int i = 0; i < jvms; i += 2) {
                Process[] pair = new Process[2];
                for (int j = 0; j < 2; j++) pair[j] = new ProcessBuilder(command).redirectErrorStream(true).start();
                for (int j = 0; j < 2; j++) {
                    String out = new String(pair[j].getInputStream().readAllBytes());
                    assertTrue(pair[j].waitFor(60, TimeUnit.SECONDS), "a JVM did not end");
                    pair[j].getOutputStream().close();
                    int code = pair[j].exitValue();
                    assertEquals(0, code, "JVM " + (i + j + 1) + " of " + jvms + " (strand " + Reliability.strand() + "):\n" + out);
                }
            }
        });
        Reliability.figure(backend(), "race/shutdown-cold-jvm", jvms + " cold JVMs run-and-close clean; " + Reliability.ms(t0) + " ms");
    }

    @Test
    void shutdownCancelsTasksStillWaiting() {
        race("race/shutdown-cancels", 40, 400, rounds -> {
            Pipe pipe = pipe();
            for (int i = 0; i < rounds; i++) {
                Chan<Integer> chan = Chan.rendezvous();
                Task<?>[] left = new Task<?>[4];
                int yields = i % 3;
                Scheduler.run(kernel, () -> {
                    left[0] = Task.spawn(() -> kernel.wait(List.of(Event.readable(pipe.source())), null));
                    left[1] = Task.spawn(() -> { Task.sleep(LONG_TIMER); return null; });
                    left[2] = Task.spawn(chan::receive);
                    left[3] = Task.spawn(() -> { chan.send(1); return null; });
                    for (int y = 0; y < yields; y++) Task.yieldNow(); // some start, some never do
                    return null;
                });
                for (Task<?> t : left) assertTrue(t.isDone(), "a task outlived its scheduler: " + t);
            }
            return rounds + " rounds";
        });
    }

    @Test
    void cancellationRacingReadinessNeverLosesEither() {
        race("race/cancel-vs-ready", 60, 600, rounds -> {
            Pipe pipe = pipe();
            Event readable = Event.readable(pipe.source());
            int[] sawData = new int[1];
            Scheduler.run(kernel, () -> {
                for (int i = 0; i < rounds; i++) {
                    Task<Void> reader = Task.spawn(() -> {
                        ByteBuffer b = ByteBuffer.allocate(64);
                        for (;;) {
                            List<Fired> f = kernel.wait(List.of(readable, Event.after(LONG_TIMER)), null);
                            assertTrue(f.stream().anyMatch(x -> x.event() == readable), "the long timer fired: " + f);
                            b.clear();
                            if (pipe.source().read(b) > 0) sawData[0]++;
                        }
                    });
                    Task.yieldNow(); // the reader waits
                    CyclicBarrier go = new CyclicBarrier(2);
                    Thread writer = Thread.ofPlatform().name("race-writer").start(() -> {
                        try {
                            go.await(5, TimeUnit.SECONDS);
                            pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    });
                    Thread canceller = Thread.ofPlatform().name("race-canceller").start(() -> {
                        try {
                            go.await(5, TimeUnit.SECONDS);
                            reader.cancel();
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    });
                    assertThrows(TaskCancelledException.class, reader::join, "round " + i);
                    writer.join();
                    canceller.join();
                    ByteBuffer drain = ByteBuffer.allocate(64);
                    while (pipe.source().read(drain) > 0) drain.clear();
                }
                return null;
            });
            return rounds + " rounds, each cancelled; the reader read before its cancellation in " + sawData[0];
        });
    }

    @Test
    void wakeupsFromOtherThreadsAreNeverLost() {
        race("race/cross-thread-wakeup", 50, 500, rounds -> {
            int[] kinds = new int[3];
            Scheduler.run(kernel, () -> {
                Scheduler me = Scheduler.current();
                for (int i = 0; i < rounds; i++) {
                    Chan<Integer> chan = Chan.unbounded();
                    CompletableFuture<String> future = new CompletableFuture<>();
                    Chan<Task<?>> spawned = Chan.unbounded();
                    Event recv = Event.recv(chan);
                    Event done = Event.done(future);
                    Event fromSpawn = Event.recv(spawned);
                    int kind = i % 3;
                    kinds[kind]++;
                    Thread other = Thread.ofPlatform().name("race-waker").start(() -> {
                        switch (kind) {
                            case 0 -> chan.trySend(1);
                            case 1 -> future.complete("x");
                            default -> me.spawn(() -> { spawned.trySend(Task.current()); return null; });
                        }
                    });
                    List<Fired> fired = kernel.wait(List.of(recv, done, fromSpawn, Event.after(LONG_TIMER)), null);
                    Event expected = kind == 0 ? recv : kind == 1 ? done : fromSpawn;
                    assertTrue(fired.stream().anyMatch(f -> f.event() == expected), "round " + i + ": " + fired);
                    other.join();
                    if (kind == 2) spawned.tryReceive().orElseThrow().join();
                }
                return null;
            });
            return String.format(java.util.Locale.ROOT, "%d sends, %d futures, %d outside spawns from other threads, none lost",
                    kinds[0], kinds[1], kinds[2]);
        });
    }

    /**
     * Issue 9 defect 4: {@code Event.at} on the manual clock read the clock twice when the wait
     * started, so an {@code advance} from another thread landing between the reads was missed and
     * the wait slept until the next advance (here: for ever, so the round is bounded). Now one
     * reading places the deadline, and the advance's listener wakes a wait already blocked.
     */
    @Test
    void manualClockAdvancedFromAnotherThreadWakesAnAtWait() {
        int rounds = Reliability.scale(200, 2_000);
        TimeSource.Manual clock = TimeSource.manual();
        Kernel manual = openKernel(clock);
        long t0 = System.nanoTime();
        java.util.concurrent.atomic.AtomicInteger round = new java.util.concurrent.atomic.AtomicInteger();
        // Half the rounds on this thread, half in a task (the strand's poll).
        assertTimeoutPreemptively(Reliability.budget(), () -> {
            for (; round.get() < rounds / 2; round.incrementAndGet()) atWaitAcrossAnAdvance(manual, clock, round.get());
            Scheduler.run(manual, () -> {
                for (; round.get() < rounds; round.incrementAndGet()) atWaitAcrossAnAdvance(manual, clock, round.get());
                return null;
            });
        }, () -> "round " + round.get() + ": the advance past the deadline was missed");
        Reliability.figure(backend(), "race/manual-clock-wakeup", rounds + " advances from another thread (half under a task), "
                + "none missed; " + Reliability.ms(t0) + " ms");
    }

    private static void atWaitAcrossAnAdvance(Kernel manual, TimeSource.Manual clock, int round) throws InterruptedException {
        Event at = Event.at(clock.now().plusSeconds(1));
        Thread other = Thread.ofPlatform().name("race-clock").start(() -> clock.advance(Duration.ofSeconds(1)));
        List<Fired> fired = manual.wait(List.of(at), null);
        assertEquals(1, fired.size(), "round " + round + ": " + fired);
        other.join();
    }

    /**
     * Issue 9 defect 11: virtual threads blocked in {@code wait} must leave their carriers to
     * other virtual threads. 200 virtual threads, each with its own kernel, wait on a socket and a
     * timer; a virtual thread started then must run within 2 s (a bound, not a speed: an unmounted
     * wait lets it run at once; the kqueue backend's pinned kevent() slices, before its blocking
     * kevent() moved to a platform thread, kept it off for more than 5 s). Plain virtual threads, no task: run once per backend.
     */
    @Test
    void virtualThreadsBlockedInWaitLetOtherVirtualThreadsRun() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Reliability.strand().equals("virtual"), "no task in it; run once per backend");
        int waiters = 200;
        // A connection each: one socket in 200 epoll sets, each inside a JDK Selector, exceeds
        // Linux's limit on wakeup paths (reverse_path_check: EINVAL).
        List<java.nio.channels.SocketChannel> clients = new java.util.ArrayList<>(), peers = new java.util.ArrayList<>();
        List<Thread> threads = new java.util.ArrayList<>();
        CountDownLatch entering = new CountDownLatch(waiters);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long t0 = System.nanoTime();
        try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open()) {
            server.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
            for (int i = 0; i < waiters; i++) {
                clients.add(java.nio.channels.SocketChannel.open(server.getLocalAddress()));
                peers.add(server.accept());
                clients.get(i).configureBlocking(false);
            }
            for (int i = 0; i < waiters; i++) {
                java.nio.channels.SocketChannel mine = clients.get(i);
                threads.add(Thread.ofVirtual().name("race-waiter-" + i).start(() -> {
                    try (Kernel k = Kernel.open(backend())) {
                        List<Event> events = List.of(Event.readable(mine), Event.after(Duration.ofSeconds(60)));
                        entering.countDown();
                        List<Fired> fired = k.wait(events, null);
                        if (fired.size() != 1 || fired.get(0).event() != events.get(0)) {
                            throw new AssertionError("woken by " + fired + ", not the peer's close");
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            assertTrue(entering.await(60, TimeUnit.SECONDS), "the waiters did not start: " + entering.getCount() + " left");
            // Let most of them block: a bound for how long entering the wait may take, not a synchronisation.
            Thread.sleep(500);
            long started = System.nanoTime();
            CountDownLatch ran = new CountDownLatch(1);
            Thread.ofVirtual().name("race-newcomer").start(ran::countDown);
            boolean inTime = ran.await(2, TimeUnit.SECONDS);
            long ranMs = (System.nanoTime() - started) / 1_000_000;
            assertTrue(inTime, "a new virtual thread did not run within 2 s while " + waiters + " virtual threads were in wait");
            for (var p : peers) p.close(); // ends every wait (EOF)
            for (Thread t : threads) assertTrue(t.join(Duration.ofSeconds(60)), t.getName() + " did not end");
            if (failure.get() != null) throw new AssertionError("a waiter failed: " + failure.get(), failure.get());
            Reliability.figure(backend(), "race/virtual-waiters", waiters + " virtual threads in wait, a new one ran after "
                    + ranMs + " ms; all done in " + Reliability.ms(t0) + " ms");
        } finally {
            for (var p : peers) p.close();
            for (Thread t : threads) t.join(Duration.ofSeconds(70));
            for (var c : clients) c.close();
        }
    }

    /** How long kwait's signal handler stays after the last watch ends (documented on {@code Event.signal}). */
    static final Duration SIGNAL_GRACE = Duration.ofSeconds(1);

    /**
     * Issue 9 defect 6: closing the last kernel that watches a signal put the previous disposition
     * back at once, and a delivery sent just before, still on its way, then met USR1's default
     * action and killed the JVM. In a JVM of its own ({@link SignalCloseRaceMain}), where USR1
     * keeps that default: rounds of watch, kill(2) to itself, close; a send within the grace period
     * is swallowed; after it the default action is back and ends the JVM. Virtual strand only (no
     * task runs there, one run per backend is enough).
     */
    @Test
    void aSignalSentJustBeforeTheLastCloseNeverKillsTheJvm() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Reliability.strand().equals("virtual"), "no strand in it; run once per backend");
        org.junit.jupiter.api.Assumptions.assumeTrue(FaultConformance.isLinux(), "kill(2) through JNR, Linux signal numbers");
        int rounds = Reliability.scale(300, 5_000);
        List<String> command = new java.util.ArrayList<>();
        command.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) command.add(a);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SignalCloseRaceMain.class.getName(), backend(),
                Integer.toString(rounds), Long.toString(SIGNAL_GRACE.toMillis())));
        long t0 = System.nanoTime();
        Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            jvm.getOutputStream().close();
            String out = assertTimeoutPreemptively(Reliability.budget(), () -> new String(jvm.getInputStream().readAllBytes()));
            assertTrue(jvm.waitFor(60, TimeUnit.SECONDS), "the JVM did not end");
            List<String> lines = out.lines().toList();
            assertTrue(lines.contains("survived " + rounds), "a USR1 sent just before a close killed the JVM (status "
                    + jvm.exitValue() + "):\n" + out);
            String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
            assertEquals(128 + Libc.SIGUSR1, jvm.exitValue(), "USR1's default action did not come back after the grace period:\n" + out);
            assertTrue(last.startsWith("send "), "USR1 ended the JVM within the grace period, after '" + last + "':\n" + out);
            long restoredBy = Long.parseLong(last.substring("send ".length()));
            Reliability.figure(backend(), "race/signal-close", rounds + " USR1 sent just before the last close, JVM alive; "
                    + "default action back by " + restoredBy + " ms after it (grace " + SIGNAL_GRACE.toMillis() + " ms); "
                    + Reliability.ms(t0) + " ms");
        } finally {
            jvm.destroyForcibly();
        }
    }

    @Test
    void theExitOfAShortLivedChildIsNeverMissed() {
        race("race/short-lived-child", 60, 1_500, rounds -> {
            for (int i = 0; i < rounds; i++) {
                if (i % 3 == 2) {
                    // A channel waited on and closed just before: its fd number is free for the next fd.
                    Pipe used = Pipe.open();
                    used.source().configureBlocking(false);
                    used.sink().write(ByteBuffer.wrap(new byte[] {1}));
                    kernel.wait(List.of(Event.readable(used.source())), Duration.ofSeconds(5));
                    used.source().close();
                    used.sink().close();
                }
                Process p = new ProcessBuilder("true").start();
                try {
                    if (i % 3 == 1) p.waitFor(); // exited and reaped before the wait starts
                    List<Fired> fired = kernel.wait(List.of(Event.exit(p)), Duration.ofSeconds(10));
                    assertEquals(1, fired.size(), "round " + i + (i % 3 == 1 ? " (reaped before the wait)" : "")
                            + ": the exit of pid " + p.pid() + " was not seen within 10 s");
                    assertEquals(0, fired.get(0).exitStatus().orElse(-1), "round " + i + ": " + fired.get(0));
                } finally {
                    p.waitFor(10, TimeUnit.SECONDS);
                    p.getInputStream().close();
                    p.getErrorStream().close();
                    p.getOutputStream().close();
                }
            }
            return rounds + " children started and waited, every exit seen";
        });
    }

    /**
     * Found by this suite, not in issue 9's list (reported to core in AREAS.md): a close racing
     * the start of a plain thread's wait lets the wait reach the closed backend, which throws
     * {@code IllegalStateException: the select backend is closed} (or the native backends' own
     * error) instead of {@code ClosedKernelException}: {@code wait} checks {@code closed} before it
     * takes the waiting-thread slot that {@code close} waits on. The same family as defect 1.
     */
    @Test
    void closingTheKernelUnderAWaitingThreadEndsItsWait() {
        race("race/close-under-wait", 40, 400, rounds -> {
            Pipe pipe = pipe();
            for (int i = 0; i < rounds; i++) {
                Kernel k = Kernel.open(backend());
                AtomicReference<Throwable> outcome = new AtomicReference<>();
                CountDownLatch entering = new CountDownLatch(1);
                Thread waiter = Thread.ofPlatform().name("race-waiter").start(() -> {
                    entering.countDown();
                    try {
                        k.wait(List.of(Event.readable(pipe.source()), Event.after(LONG_TIMER)), null);
                        outcome.set(new AssertionError("the wait returned normally"));
                    } catch (Throwable e) {
                        outcome.set(e);
                    }
                });
                entering.await();
                if (i % 2 == 1) Thread.yield(); // half the rounds close as the wait starts, half a little later
                k.close();
                waiter.join(TimeUnit.SECONDS.toMillis(10));
                assertTrue(!waiter.isAlive(), "round " + i + ": the wait did not end when the kernel closed");
                Throwable e = outcome.get();
                assertTrue(e instanceof ClosedKernelException, "round " + i + ": " + e);
                assertTrue(k.stats().isEmpty(), "round " + i + ": " + k.stats());
            }
            return rounds + " rounds";
        });
    }

}
