package io.kwait.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.tests.ConformanceBase;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many waits over random mixes of sockets, pipes, timers, channels, tasks, futures and processes
 * (processes in their own test, since each costs a fork);
 * afterwards fds ({@code /proc/self/fd}), threads, {@link Kernel#stats()} and the heap after GC are
 * back to where they started. Each wait has at least one event made ready before it starts (or a
 * zero timer), so every wait returns and its events are consumed.
 */
@Timeout(value = 2, unit = TimeUnit.HOURS) // the real bound is Reliability.budget()
public abstract class LeakConformance extends ConformanceBase {

    @Test
    void manyWaitsOverRandomMixesLeaveNothingBehind() {
        int waits = Reliability.scale(2_000, 100_000);
        long seed = Reliability.seed();
        // A kernel's own threads start at first use and live until it closes (kqueue: the platform
        // thread a virtual thread's blocking kevent() runs on), so one blocking wait comes first.
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Scheduler.run(kernel, () -> {
            Task.sleep(Duration.ofMillis(1));
            return null;
        }));
        int fds0 = openFds();
        int threads0 = platformThreads();
        long heap0 = heapAfterGc();
        long[] heapHalf = new long[1];
        Kernel.Stats[] statsEnd = new Kernel.Stats[1];
        long t0 = System.nanoTime();
        assertTimeoutPreemptively(Reliability.budget(), () -> Scheduler.run(kernel, () -> {
            Kernel.Stats before = kernel.stats();
            Random rnd = new Random(seed);
            for (int i = 0; i < waits; i++) {
                if (i == waits / 2) heapHalf[0] = heapAfterGc();
                try {
                    oneWait(rnd, i, false);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; seed " + seed + " (replay with -Dkwait.reliability.seed=" + seed + ")", e);
                }
            }
            statsEnd[0] = kernel.stats();
            assertEquals(before.processWatches(), statsEnd[0].processWatches(), "process watches left: " + statsEnd[0]);
            assertEquals(before.stageWatches() + before.timers() + before.signalWatches(),
                    statsEnd[0].stageWatches() + statsEnd[0].timers() + statsEnd[0].signalWatches(), "watches left: " + statsEnd[0]);
            return null;
        }), () -> "seed " + seed + " (replay with -Dkwait.reliability.seed=" + seed + ")");
        long ms = Reliability.ms(t0);
        long heapEnd = heapAfterGc();
        int fdsEnd = openFds();
        int threadsEnd = platformThreads();
        // A thread that has finished its work may still be on its way out (JUnit's timeout thread,
        // a JDK helper): give those up to 2 s, then name whatever is left.
        for (long end = System.nanoTime() + 2_000_000_000L; threadsEnd > threads0 && System.nanoTime() < end; threadsEnd = platformThreads()) {
            Thread.onSpinWait();
        }
        assertEquals(fds0, fdsEnd, "fds before/after " + waits + " waits (seed " + seed + ")");
        assertTrue(threadsEnd <= threads0, "platform threads before/after (JDK pools aside): " + threads0 + "/" + threadsEnd
                + ": " + Thread.getAllStackTraces().keySet().stream().map(Thread::getName).sorted().toList());
        // Growth in the second half says what each wait keeps; the first half also warms the JIT and pools.
        long perWaitBytes = (heapEnd - heapHalf[0]) / Math.max(1, waits / 2);
        assertTrue(heapEnd - heapHalf[0] < 16L << 20, "heap grew by " + ((heapEnd - heapHalf[0]) >> 10) + " KiB over the second "
                + waits / 2 + " waits (seed " + seed + ")");
        Reliability.figure(backend(), "leaks", String.format(java.util.Locale.ROOT,
                "%d waits: fds %d->%d, platform threads %d->%d, heap after GC %d->%d->%d KiB "
                        + "(%d B/wait in the 2nd half), stats at the end %s; %d ms; seed %d",
                waits, fds0, fdsEnd, threads0, threadsEnd, heap0 >> 10, heapHalf[0] >> 10, heapEnd >> 10,
                perWaitBytes, statsEnd[0], ms, seed));
    }

    /**
     * Found by this suite: on both kqueue simulations a short-lived child waited on alone, among
     * mixed waits in a task, was now and then never seen to exit (the wait timed out after 10 s;
     * seed -7046028896474776243 at wait 19206 in the long mode, not every run). A wait that returned
     * on a task before any poll left its pipe's EV_ADD queued; the pipe was closed, a pidfd of the
     * simulation took its number, and the next poll's EV_ADD hijacked the pidfd's epoll item. Fixed
     * twice: the kqueue backend drops queued EV_ADDs of channels closed since (fact 5 in
     * KqueueBackend; on a real kqueue they put a knote on whatever file the number named next), and
     * the simulation refuses changes on its own fds (its fact 7).
     */
    @Test
    void processExitsAmidRandomMixesAreSeen() {
        int waits = Reliability.scale(1_000, 20_000);
        String given = System.getProperty("kwait.reliability.seed");
        long seed = given == null ? -7046028896474776243L : Long.parseLong(given.trim());
        int[] processes = new int[1];
        assertTimeoutPreemptively(Reliability.budget(), () -> Scheduler.run(kernel, () -> {
            Random rnd = new Random(seed);
            for (int i = 0; i < waits; i++) {
                try {
                    processes[0] += oneWait(rnd, i, true);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; seed " + seed + " (replay with -Dkwait.reliability.seed=" + seed + ")", e);
                }
            }
            return null;
        }));
        Reliability.figure(backend(), "leaks/processes", waits + " mixed waits, " + processes[0] + " of them on a child, every exit seen; seed " + seed);
    }

    /**
     * Issue 9 defects 3, 10 and 14: a wait that threw (here: its task cancelled) on a live process
     * and a pending stage keeps no watch, and a channel the program closed is not counted.
     * (After a wait that returned, an idle watch may stay for the next wait, as for fds.)
     */
    @Test
    void cancelledWaitsAndClosedChannelsLeaveNoWatches() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try {
            Scheduler.run(kernel, () -> {
                Kernel.Stats before = kernel.stats();
                CompletableFuture<String> never = new CompletableFuture<>();
                Pipe pipe = Pipe.open();
                pipe.source().configureBlocking(false);
                pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
                assertEquals(1, kernel.wait(List.of(Event.readable(pipe.source())), Duration.ofSeconds(5)).size());
                pipe.source().close();
                pipe.sink().close();
                Pipe idle = Pipe.open();
                idle.source().configureBlocking(false);
                Task<List<Fired>> waiter = Task.spawn(() -> kernel.wait(List.of(Event.exit(child), Event.done(never),
                        Event.readable(idle.source()), Event.after(Duration.ofSeconds(30))), null));
                Task.yieldNow(); // it waits
                waiter.cancel();
                org.junit.jupiter.api.Assertions.assertThrows(io.kwait.TaskCancelledException.class, waiter::join);
                idle.source().close();
                idle.sink().close();
                assertEquals(before, kernel.stats(), "after a cancelled wait on a live process, a pending stage and a pipe, "
                        + "and a closed channel");
                return null;
            });
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            child.getInputStream().close();
            child.getErrorStream().close();
            child.getOutputStream().close();
        }
    }

    /** One wait over a random mix; returns 1 when it involved a process. */
    private int oneWait(Random rnd, int i, boolean withProcesses) throws Exception {
        List<AutoCloseable> toClose = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        List<Runnable> consume = new ArrayList<>();
        int mix = 1 + rnd.nextInt(127);
        boolean ready = false;
        Process p = null;
        try {
            if ((mix & 1) != 0) { // a pipe, readable
                Pipe pipe = Pipe.open();
                toClose.add(pipe.sink());
                toClose.add(pipe.source());
                pipe.source().configureBlocking(false);
                pipe.sink().write(ByteBuffer.wrap(new byte[] {(byte) i}));
                events.add(Event.readable(pipe.source()));
                ready = true;
            }
            if ((mix & 2) != 0) { // a loopback connection: one side readable, the other writable
                ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                toClose.add(server);
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                toClose.add(client);
                SocketChannel served = server.accept();
                toClose.add(served);
                client.configureBlocking(false);
                served.configureBlocking(false);
                client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                events.add(Event.readable(served));
                events.add(Event.writable(client));
                ready = true;
            }
            if ((mix & 4) != 0) { // a timer: at once, or one that does not fire
                events.add(Event.after(rnd.nextBoolean() ? Duration.ZERO : Duration.ofSeconds(30)));
            }
            if ((mix & 8) != 0) { // a channel with a message
                Chan<Integer> c = rnd.nextBoolean() ? Chan.bounded(1) : Chan.unbounded();
                c.trySend(i);
                events.add(Event.recv(c));
                consume.add(() -> c.tryReceive());
                ready = true;
            }
            if ((mix & 16) != 0) { // a task that finishes
                Task<Integer> t = Task.spawn(() -> 7);
                events.add(Event.done(t));
                consume.add(() -> {
                    try {
                        t.join();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                ready = true;
            }
            if ((mix & 32) != 0) { // a future done already
                CompletableFuture<String> f = CompletableFuture.completedFuture("now");
                events.add(Event.done(f));
                ready = true;
            }
            // A future completed by another thread during the wait, and (in processExitsAmidRandomMixesAreSeen)
            // a process now and then (each costs a fork), wait alone: beside an event that fires first they would keep their
            // watch (issue 9 defects 3 and 10, abandonedWaitsAndClosedChannelsLeaveNoWatches).
            if (withProcesses && (mix & 64) != 0 && i % 97 == 0) {
                events.clear();
                consume.clear();
                p = new ProcessBuilder("true").start();
                events.add(Event.exit(p));
                ready = true;
            } else if ((mix & 96) == 96) {
                events.clear();
                consume.clear();
                CompletableFuture<String> f = new CompletableFuture<>();
                Thread.ofPlatform().name("leak-completer").start(() -> f.complete("later"));
                events.add(Event.done(f));
                ready = true;
            }
            if (!ready) events.add(Event.after(Duration.ZERO));
            List<Fired> fired = kernel.wait(events, Duration.ofSeconds(10));
            assertFalse(fired.isEmpty(), "wait " + i + " over " + events + " timed out");
            for (Runnable r : consume) r.run();
            return p != null ? 1 : 0;
        } finally {
            for (int k = toClose.size() - 1; k >= 0; k--) toClose.get(k).close();
            if (p != null) {
                p.waitFor(10, TimeUnit.SECONDS);
                p.getInputStream().close();
                p.getErrorStream().close();
                p.getOutputStream().close();
            }
        }
    }

    /** Live platform threads, less the JDK's pools that come and go on their own schedule. */
    static int platformThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String name = t.getName();
            if (!t.isAlive() || name.startsWith("process reaper") || name.startsWith("ForkJoinPool") || name.startsWith("leak-completer")
                    || name.startsWith("InnocuousThread") || name.startsWith("Attach Listener")) continue;
            n++;
        }
        return n;
    }

    static long heapAfterGc() {
        var mem = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) System.gc();
        return mem.getHeapMemoryUsage().getUsed();
    }

}
