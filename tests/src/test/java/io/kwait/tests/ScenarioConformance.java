package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Task;
import io.kwait.TaskCancelledException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End-to-end scenarios taken from the seed texts: interleaving printers, an echo server made of
 * tasks, child results and failures flowing to the parent, a task killed by another, and one
 * wait over a child's exit, a socket, a channel, a timer and a signal.
 */
public abstract class ScenarioConformance extends ConformanceBase {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    // ---------------------------------------------------------------- (a) printers

    @Test
    void twoPrintersInterleave() throws Exception {
        final int n = 50;
        List<String> out = new ArrayList<>(); // no lock: one task runs at a time
        Run.root(kernel, () -> {
            Task<Void> a = Task.spawn("A", () -> printer("A", n, out));
            Task<Void> b = Task.spawn("B", () -> printer("B", n, out));
            a.join();
            b.join();
            return null;
        });
        assertEquals(2 * n, out.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i % 2 == 0 ? "A" : "B", out.get(i), "not strictly alternating at " + i + ": " + out);
        }
    }

    private static Void printer(String name, int n, List<String> out) {
        for (int i = 0; i < n; i++) {
            out.add(name);
            Task.yieldNow();
        }
        return null;
    }

    // ---------------------------------------------------------------- (b) echo server

    private static final int CLIENTS = 50;
    private static final int PAYLOAD = 64 * 1024;

    @Test
    @Timeout(60)
    void echoServerOfTasksServesFiftyClientsByteExactly() throws Exception {
        ServerSocketChannel server = closeLater(ServerSocketChannel.open());
        server.bind(new InetSocketAddress(LOOPBACK, 0), CLIENTS);
        server.configureBlocking(false);
        InetSocketAddress address = (InetSocketAddress) server.getLocalAddress();

        int served = Run.root(kernel, () -> {
            Task<Integer> acceptor = Task.spawn("accept-loop", () -> {
                List<Task<Long>> handlers = new ArrayList<>();
                Event acceptable = Event.readable(server);
                while (handlers.size() < CLIENTS) {
                    List<Fired> fired = kernel.wait(List.of(acceptable), null);
                    assertSame(acceptable, fired.get(0).event());
                    SocketChannel c;
                    while (handlers.size() < CLIENTS && (c = server.accept()) != null) {
                        closeLater(c);
                        c.configureBlocking(false);
                        SocketChannel conn = c;
                        handlers.add(Task.spawn("conn-" + handlers.size(), () -> serveEcho(conn)));
                    }
                }
                long total = 0;
                for (Task<Long> h : handlers) total += Run.join(h);
                assertEquals((long) CLIENTS * PAYLOAD, total);
                return handlers.size();
            });
            List<Task<Void>> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int id = i;
                clients.add(Task.spawn("client-" + i, () -> echoClient(id, address)));
            }
            for (Task<Void> c : clients) Run.join(c);
            return Run.join(acceptor);
        });
        assertEquals(CLIENTS, served);
    }

    /** Serves one connection: wait READ, read, wait WRITE, write back; until the client shuts down its output. */
    private Long serveEcho(SocketChannel conn) throws IOException, InterruptedException {
        try (conn) {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            Event readable = Event.readable(conn), writable = Event.writable(conn);
            long echoed = 0;
            while (true) {
                kernel.wait(List.of(readable), null);
                buf.clear();
                int n = conn.read(buf);
                if (n < 0) return echoed;
                buf.flip();
                while (buf.hasRemaining()) {
                    if (conn.write(buf) == 0) kernel.wait(List.of(writable), null);
                }
                echoed += n;
            }
        }
    }

    /** One client: sends PAYLOAD pseudo-random bytes while reading the echo, then compares. */
    private Void echoClient(int id, InetSocketAddress address) throws IOException, InterruptedException {
        byte[] data = new byte[PAYLOAD];
        new Random(id * 7919L + 1).nextBytes(data);
        byte[] back = new byte[PAYLOAD];
        try (SocketChannel ch = closeLater(SocketChannel.open())) {
            ch.configureBlocking(false);
            Event readable = Event.readable(ch), writable = Event.writable(ch);
            if (!ch.connect(address)) {
                Fired f = kernel.wait(List.of(writable), null).get(0); // connect completion = WRITE
                assertSame(writable, f.event());
                assertTrue(ch.finishConnect());
            }
            ByteBuffer out = ByteBuffer.wrap(data);
            ByteBuffer in = ByteBuffer.wrap(back);
            ByteBuffer scratch = ByteBuffer.allocate(16);
            boolean outputShut = false;
            while (true) {
                if (!out.hasRemaining() && !outputShut) {
                    ch.shutdownOutput();
                    outputShut = true;
                }
                List<Event> events = out.hasRemaining() ? List.of(readable, writable) : List.of(readable);
                for (Fired f : kernel.wait(events, null)) {
                    if (f.event() == writable) {
                        assertEquals(Filter.WRITE, f.filter());
                        ch.write(out);
                    } else {
                        assertEquals(Filter.READ, f.filter());
                        // once every byte is back, read into a scratch buffer: only end of stream may follow
                        int n = ch.read(in.hasRemaining() ? in : scratch.clear());
                        if (n < 0) {
                            assertFalse(in.hasRemaining(), "client " + id + ": server closed after " + in.position() + " bytes");
                            assertArrayEquals(data, back, "client " + id + " got different bytes back");
                            return null;
                        }
                        if (scratch.position() > 0) throw new AssertionError("client " + id + ": more bytes came back than were sent");
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- (c) child value and child exception

    static final class ChildFailure extends Exception {
        ChildFailure(String m) { super(m); }
    }

    @Test
    void aParentReceivesItsChildsValueAndItsException() throws Exception {
        Run.root(kernel, () -> {
            Task<List<String>> child = Task.spawn(() -> {
                Task.yieldNow();
                return List.of("computed", "by", "child");
            });
            assertEquals(List.of("computed", "by", "child"), child.join());

            ChildFailure failure = new ChildFailure("child could not finish");
            Task<String> failing = Task.spawn(() -> {
                Task.yieldNow();
                throw failure;
            });
            ExecutionException e = assertThrows(ExecutionException.class, failing::join);
            assertSame(failure, e.getCause());

            // the same two outcomes through one wait on both children's DONE events
            Task<Integer> ok = Task.spawn(() -> 99);
            Task<Integer> bad = Task.spawn(() -> { throw failure; });
            Event okDone = Event.done(ok), badDone = Event.done(bad);
            Map<Filter, Integer> seen = new EnumMap<>(Filter.class);
            boolean gotOk = false, gotBad = false;
            while (!(gotOk && gotBad)) {
                for (Fired f : kernel.wait(List.of(okDone, badDone), null)) {
                    seen.merge(f.filter(), 1, Integer::sum);
                    if (f.event() == okDone) {
                        assertFalse(f.isError());
                        assertEquals(99, (Integer) f.result());
                        gotOk = true;
                    } else {
                        assertSame(badDone, f.event());
                        assertTrue(f.isError());
                        assertSame(failure, f.error());
                        gotBad = true;
                    }
                }
            }
            assertTrue(seen.containsKey(Filter.DONE));
            return null;
        });
    }

    // ---------------------------------------------------------------- (d) kill and wait for exit

    @Test
    void aTaskKilledByAnotherAndATaskWaitingForAnothersExit() throws Exception {
        Run.root(kernel, () -> {
            Chan<String> never = Chan.rendezvous();
            List<String> log = new ArrayList<>();
            Task<String> victim = Task.spawn("victim", () -> {
                try {
                    kernel.wait(List.of(Event.recv(never), Event.after(Duration.ofHours(1))), null);
                    return "not killed";
                } catch (TaskCancelledException e) {
                    log.add("victim saw its cancellation");
                    throw e;
                }
            });
            Task<Throwable> killer = Task.spawn("killer", () -> {
                assertFalse(victim.isDone(), "the victim should be blocked in its wait");
                assertTrue(victim.cancel());
                Event done = Event.done(victim);
                Fired f = kernel.wait(List.of(done), null).get(0);
                assertSame(done, f.event());
                assertTrue(f.isError());
                assertThrows(TaskCancelledException.class, victim::join);
                log.add("killer saw the victim done");
                return f.error();
            });
            assertInstanceOf(TaskCancelledException.class, Run.join(killer));
            assertTrue(victim.isCancelled());
            assertEquals(List.of("victim saw its cancellation", "killer saw the victim done"), log);

            Task<String> worker = Task.spawn("worker", () -> {
                Run.yields(5);
                log.add("worker exits");
                return "work result";
            });
            Task<String> watcher = Task.spawn("watcher", () -> {
                Event done = Event.done(worker);
                Fired f = kernel.wait(List.of(done), null).get(0);
                log.add("watcher saw the exit");
                assertFalse(f.isError());
                return f.result();
            });
            assertEquals("work result", Run.join(watcher));
            assertEquals("worker exits", log.get(2));
            assertEquals("watcher saw the exit", log.get(3));
            assertEquals(0, kernel.stats().timers());
            return null;
        });
    }

    // ---------------------------------------------------------------- (e) one wait over everything

    @Test
    @Timeout(60)
    void oneWaitOverAChildASocketAChannelATimerAndASignal() throws Exception {
        Process child = new ProcessBuilder("sh", "-c", "exit 7")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        closeLater(() -> destroy(child));
        child.getOutputStream().close();

        ServerSocketChannel listener = closeLater(ServerSocketChannel.open());
        listener.bind(new InetSocketAddress(LOOPBACK, 0));
        SocketChannel client = closeLater(SocketChannel.open(listener.getLocalAddress()));
        SocketChannel accepted = closeLater(listener.accept());
        accepted.configureBlocking(false);
        client.write(ByteBuffer.wrap(new byte[] {42}));

        Chan<String> chan = Chan.unbounded();
        chan.send("message");

        Event exit = Event.exit(child);
        Event socket = Event.readable(accepted);
        Event recv = Event.recv(chan);
        Event timer = Event.after(Duration.ofMillis(50));
        Event usr1 = Event.signal("USR1");

        Map<Event.Kind, Fired> firsts = Run.root(kernel, () -> {
            Map<Event.Kind, Fired> seen = new EnumMap<>(Event.Kind.class);
            List<Event> pending = new ArrayList<>(List.of(exit, socket, recv, timer, usr1));
            Task<Void> waiter = Task.spawn("waiter", () -> {
                int waits = 0;
                while (!pending.isEmpty()) {
                    List<Fired> fired = kernel.wait(List.copyOf(pending), null);
                    waits++;
                    assertFalse(fired.isEmpty(), "a wait with no timeout returned nothing");
                    int lastIndex = -1;
                    for (Fired f : fired) {
                        int index = pending.indexOf(f.event());
                        assertTrue(index > lastIndex, "fired events must come back in the order given, once each");
                        lastIndex = index;
                        seen.putIfAbsent(f.event().kind(), f);
                        if (f.event() == socket) {
                            ByteBuffer b = ByteBuffer.allocate(8);
                            assertEquals(1, accepted.read(b));
                            assertEquals(42, b.get(0));
                        } else if (f.event() == recv) {
                            assertEquals("message", chan.tryReceive().orElseThrow());
                        }
                    }
                    for (Fired f : fired) pending.remove(f.event());
                    assertTrue(waits < 1000, "too many waits");
                }
                return null;
            });
            Task<Integer> signaller = Task.spawn("signaller", () -> {
                // Runs only once the waiter suspended: its first wait (which included USR1) is done,
                // so the handler is installed. Never signal the JVM without it: USR1 would kill it.
                assertTrue(kernel.stats().signalWatches() >= 1, "no kwait handler watches USR1; refusing to send it");
                Process kill = new ProcessBuilder("kill", "-USR1", Long.toString(ProcessHandle.current().pid()))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
                try {
                    kill.getOutputStream().close();
                    Fired f = kernel.wait(List.of(Event.exit(kill)), null).get(0);
                    return f.exitStatus().orElse(-1);
                } finally {
                    destroy(kill);
                }
            });
            assertEquals(0, Run.join(signaller), "kill -USR1 failed");
            Run.join(waiter);
            return seen;
        });

        assertEquals(5, firsts.size(), "fired: " + firsts);
        Fired e = firsts.get(Event.Kind.PROCESS);
        assertSame(exit, e.event());
        assertEquals(Filter.EXIT, e.filter());
        assertEquals(7, e.exitStatus().orElseThrow());
        assertEquals(7, e.data());
        assertFalse(e.isError());

        Fired s = firsts.get(Event.Kind.CHANNEL);
        assertSame(socket, s.event());
        assertEquals(Filter.READ, s.filter());
        assertFalse(s.isError());

        Fired c = firsts.get(Event.Kind.CHAN);
        assertSame(recv, c.event());
        assertEquals(Filter.RECV, c.filter());
        assertFalse(c.isEof());

        Fired t = firsts.get(Event.Kind.TIMER_AFTER);
        assertSame(timer, t.event());
        assertEquals(Filter.EXPIRE, t.filter());
        assertTrue(t.count() >= 1);

        Fired g = firsts.get(Event.Kind.SIGNAL);
        assertSame(usr1, g.event());
        assertEquals(Filter.SIGNAL, g.filter());
        assertTrue(g.count() >= 1, "deliveries: " + g.count());
        assertNull(g.error());
    }

    private static void destroy(Process p) throws IOException, InterruptedException {
        p.destroy();
        p.waitFor();
        p.getOutputStream().close();
        p.getInputStream().close();
        p.getErrorStream().close();
    }
}
