package io.kwait.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.TimeSource;
import io.kwait.tests.ConformanceBase;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One seeded random scenario — loopback sockets, timers on the manual clock, channels, tasks and
 * processes — run on every backend available here gives the same sequence of fired sets. A run
 * prints its seeds; a failure names the seed, the step and both backends' fired sets, and
 * {@code -Dkwait.reliability.seed=N} replays that seed alone.
 *
 * <p>What is compared is what the contract fixes on every backend: which events fired, with the
 * count of a timer and the value of a task. Readiness details the contract leaves to the backend
 * (the byte count in {@code data}, the EOF flag) are not. Every step that starts something whose
 * completion the OS decides (bytes crossing loopback, a child's exit) first waits for it alone, so
 * the recorded zero-timeout wait sees a settled state.
 */
@Timeout(value = 2, unit = TimeUnit.HOURS) // the real bound is Reliability.budget()
class DifferentialTest extends ConformanceBase {

    @Override
    protected String backend() { return "select"; }

    @Test
    void everyBackendFiresTheSameSetsForTheSameScenario() {
        List<String> backends = Kernel.backends().stream().filter(Kernel.BackendInfo::available).map(Kernel.BackendInfo::name).toList();
        assertTrue(backends.size() >= 1, "no backend available: " + Kernel.backends());
        boolean replay = System.getProperty("kwait.reliability.seed") != null;
        int seeds = replay ? 1 : Reliability.scale(3, 30);
        int steps = Reliability.scale(250, 3_000);
        long first = Reliability.seed();
        long t0 = System.nanoTime();
        List<Long> ran = new ArrayList<>();
        assertTimeoutPreemptively(Reliability.budget(), () -> {
            for (int s = 0; s < seeds; s++) {
                long seed = first + s;
                ran.add(seed);
                List<String> reference = null;
                String referenceName = null;
                for (String b : backends) {
                    List<String> trace = scenario(b, seed, steps);
                    if (reference == null) {
                        reference = trace;
                        referenceName = b;
                        continue;
                    }
                    compare(seed, referenceName, reference, b, trace);
                }
            }
        }, () -> "seeds " + ran + " (replay one with -Dkwait.reliability.seed=N)");
        Reliability.figure(String.join(",", backends), "differential", String.format(java.util.Locale.ROOT,
                "%d seeds x %d steps, identical fired sets on %d backends; seeds from %d; %d ms",
                seeds, steps, backends.size(), first, Reliability.ms(t0)));
    }

    private static void compare(long seed, String aName, List<String> a, String bName, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (!a.get(i).equals(b.get(i))) {
                fail("seed " + seed + " (replay with -Dkwait.reliability.seed=" + seed + "), step " + i + ":\n  " + aName + ": "
                        + a.get(i) + "\n  " + bName + ": " + b.get(i)
                        + (i > 0 ? "\n  step before, both: " + a.get(i - 1) : ""));
            }
        }
        assertEquals(a.size(), b.size(), "seed " + seed + ": trace lengths differ");
    }

    /** Runs the scenario of {@code seed} on {@code backend}; returns one line per step. */
    private List<String> scenario(String backend, long seed, int steps) throws Exception {
        TimeSource.Manual clock = TimeSource.manual();
        List<AutoCloseable> open = new ArrayList<>();
        try (Kernel k = Kernel.builder().backend(backend).timeSource(clock).open()) {
            return Scheduler.run(k, () -> {
                try {
                    return steps(k, clock, new Random(seed), steps, open);
                } finally {
                    for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
                }
            });
        }
    }

    private static List<String> steps(Kernel k, TimeSource.Manual clock, Random rnd, int steps, List<AutoCloseable> open)
            throws Exception {
        List<String> trace = new ArrayList<>();
        int pairs = 3;
        SocketChannel[] clients = new SocketChannel[pairs];
        SocketChannel[] served = new SocketChannel[pairs];
        for (int i = 0; i < pairs; i++) {
            ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            clients[i] = SocketChannel.open(server.getLocalAddress());
            clients[i].setOption(StandardSocketOptions.TCP_NODELAY, true); // no write held back waiting for an ACK
            open.add(clients[i]);
            served[i] = server.accept();
            open.add(served[i]);
            server.close();
            served[i].configureBlocking(false);
        }
        List<Chan<Integer>> chans = List.of(Chan.bounded(2), Chan.unbounded());
        List<Event> fixed = new ArrayList<>();
        for (int i = 0; i < pairs; i++) fixed.add(Event.readable(served[i]).withAttachment("read" + i));
        for (int j = 0; j < chans.size(); j++) {
            fixed.add(Event.recv(chans.get(j)).withAttachment("recv" + j));
            fixed.add(Event.send(chans.get(j)).withAttachment("send" + j));
        }
        fixed.add(Event.every(Duration.ofMillis(700)).withAttachment("every700"));
        Event[] at = new Event[2];
        Task<?>[] tasks = new Task<?>[2];
        ByteBuffer buf = ByteBuffer.allocate(256);
        int[] unread = new int[pairs]; // written to clients[i] and not yet drained from served[i]
        for (int step = 0; step < steps; step++) {
            String action;
            int r = rnd.nextInt(100);
            if (r < 20) {
                int i = rnd.nextInt(pairs);
                int n = 1 + rnd.nextInt(3);
                clients[i].write(ByteBuffer.wrap(new byte[n]));
                unread[i] += n;
                k.wait(List.of(Event.readable(served[i])), null); // readable: the first of its unread bytes crossed loopback
                action = "write " + n + " to " + i;
            } else if (r < 35) {
                int i = rnd.nextInt(pairs);
                int n = drain(k, served[i], buf, unread[i]);
                unread[i] = Math.max(0, unread[i] - n);
                action = "drain " + i + " (" + n + " bytes)";
            } else if (r < 55) {
                long ms = rnd.nextInt(1500);
                clock.advance(Duration.ofMillis(ms));
                action = "advance " + ms + "ms";
            } else if (r < 65) {
                int j = rnd.nextInt(chans.size());
                action = "trySend " + j + " " + chans.get(j).trySend(step);
            } else if (r < 75) {
                int j = rnd.nextInt(chans.size());
                action = "tryReceive " + j + " " + chans.get(j).tryReceive().orElse(null);
            } else if (r < 83) {
                int slot = rnd.nextInt(tasks.length);
                int value = step;
                tasks[slot] = Task.spawn(() -> value);
                Task.yieldNow(); // it runs and returns
                action = "task " + slot + " -> " + value;
            } else if (r < 93) {
                int slot = rnd.nextInt(at.length);
                long ms = rnd.nextInt(3000);
                at[slot] = Event.at(clock.now().plusMillis(ms)).withAttachment("at" + slot);
                action = "at " + slot + " +" + ms + "ms";
            } else if (r < 95) {
                int status = rnd.nextInt(4);
                Process p = new ProcessBuilder("sh", "-c", "exit " + status).start();
                try {
                    List<Fired> f = k.wait(List.of(Event.exit(p)), null);
                    action = "process exit " + status + ": " + (f.size() == 1 ? f.get(0).exitStatus() : f);
                } finally {
                    p.waitFor(10, TimeUnit.SECONDS);
                    p.getInputStream().close();
                    p.getErrorStream().close();
                    p.getOutputStream().close();
                }
            } else {
                action = "idle";
            }
            List<Event> events = new ArrayList<>(fixed);
            for (Event e : at) if (e != null) events.add(e);
            for (int s = 0; s < tasks.length; s++) if (tasks[s] != null) events.add(Event.done(tasks[s]).withAttachment("task" + s));
            if (rnd.nextInt(10) == 0) events.add(Event.after(Duration.ZERO).withAttachment("after0"));
            trace.add(action + " => " + describe(k.wait(events, Duration.ZERO)));
        }
        return trace;
    }

    /**
     * Reads what was written and is not drained yet, {@code unread} bytes, waiting for those still
     * on their way (readable on a socket says that some byte arrived, not all: a write's bytes
     * may cross loopback later than an earlier write's, as they did under load, seed
     * -7046031702695840680), then whatever else is there (nothing, unless a backend made bytes up).
     */
    private static int drain(Kernel k, SocketChannel served, ByteBuffer buf, int unread) throws Exception {
        int n = 0;
        while (n < unread) {
            int got = served.read(buf.clear());
            if (got < 0) break;
            if (got == 0) k.wait(List.of(Event.readable(served)), null); // the rest is on its way
            n += got;
        }
        for (int got; (got = served.read(buf.clear())) > 0; ) n += got;
        return n;
    }

    private static String describe(List<Fired> fired) {
        List<String> out = new ArrayList<>();
        for (Fired f : fired) {
            String s = String.valueOf(f.attachment());
            switch (f.filter()) {
                case EXPIRE -> s += " x" + f.count();
                case DONE -> s += " =" + f.result();
                default -> { }
            }
            if (f.isError()) s += " ERROR";
            out.add(s);
        }
        out.sort(null);
        return out.toString();
    }

}
