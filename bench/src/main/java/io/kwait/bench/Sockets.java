package io.kwait.bench;

import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenarios 3a, 3b and 4: loopback TCP ping-pong, one round trip = A sends {@code size} bytes,
 * B reads them all and sends them back, A reads them all. Every side waits for readiness first,
 * then reads (kwait: {@code kernel.wait(readable)}; NIO: {@code Selector.select}).
 */
public final class Sockets {
    private Sockets() {}

    // ------------------------------------------------------------------ one end of a connection

    /**
     * One end of a connection and the protocol of a round trip: wait until readable, then read;
     * write what the socket takes, and wait until writable only when it took nothing. The two
     * subclasses differ only in how they wait.
     */
    abstract static class End {
        final SocketChannel ch;

        End(SocketChannel ch) {
            this.ch = ch;
        }

        abstract void awaitReadable() throws Exception;

        abstract void awaitWritable() throws Exception;

        void send(ByteBuffer msg) throws Exception {
            msg.rewind();
            write(msg);
        }

        private void write(ByteBuffer b) throws Exception {
            while (b.hasRemaining()) {
                if (ch.write(b) == 0) awaitWritable();
            }
        }

        /** Reads exactly {@code size} bytes; false on end of stream. */
        boolean recv(ByteBuffer in, int size) throws Exception {
            in.clear().limit(size);
            while (in.hasRemaining()) {
                awaitReadable();
                if (ch.read(in) < 0) return false;
            }
            return true;
        }

        /** Echoes messages of {@code size} bytes until the peer closes. */
        void echo(int size) throws Exception {
            ByteBuffer in = ByteBuffer.allocateDirect(size);
            while (recv(in, size)) {
                in.flip();
                write(in);
            }
        }

        /** {@code n} round trips with a peer that echoes; their nanoseconds. */
        long roundTrips(int n, ByteBuffer msg, ByteBuffer in, int size) throws Exception {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                send(msg);
                if (!recv(in, size)) Net.eof();
            }
            return System.nanoTime() - t0;
        }
    }

    /** One end of a connection driven through a kwait kernel, with its reusable events. */
    static final class KEnd extends End {
        final Kernel k;
        final List<Event> readable;
        final List<Event> writable;

        KEnd(Kernel k, SocketChannel ch) {
            super(ch);
            this.k = k;
            this.readable = List.of(Event.readable(ch));
            this.writable = List.of(Event.writable(ch));
        }

        @Override
        void awaitReadable() throws Exception {
            k.wait(readable, null);
        }

        @Override
        void awaitWritable() throws Exception {
            k.wait(writable, null);
        }
    }

    /** One end of a connection driven through a plain NIO selector. */
    static final class NEnd extends End {
        final Selector sel;
        final SelectionKey key;
        private boolean hit;

        NEnd(Selector sel, SocketChannel ch) throws IOException {
            super(ch);
            this.sel = sel;
            this.key = ch.register(sel, SelectionKey.OP_READ);
        }

        @Override
        void awaitReadable() throws IOException {
            hit = false;
            while (!hit) sel.select(k -> { if (k == key) hit = true; });
        }

        /** Writes again at once: loopback buffers take 4 KiB at once, and the peers' loops never wait to write. */
        @Override
        void awaitWritable() {
        }
    }

    /** Both ends driven by the calling thread: A sends, B receives and sends back, A receives; {@code n} times. */
    private static Batches.Batch oneThreadRoundTrips(NEnd A, NEnd B, int size) {
        ByteBuffer msg = Net.message(size), in = ByteBuffer.allocateDirect(size), echo = ByteBuffer.allocateDirect(size);
        return n -> {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                A.send(msg);
                if (!B.recv(echo, size)) Net.eof();
                echo.flip();
                B.send(echo);
                if (!A.recv(in, size)) Net.eof();
            }
            return System.nanoTime() - t0;
        };
    }

    private static String sizeLabel(int size) {
        return size >= 1024 ? (size / 1024) + " KiB" : size + " B";
    }

    // ------------------------------------------------------------------ 3a: both ends in one thread

    /** 3a kwait: both ends are tasks of one scheduler. */
    public static List<Row> kwaitOneThread(Args a) throws Exception {
        String backend = a.str("backend");
        int size = a.integer("size", 1);
        Batches b = a.batches();
        try (Kernel k = Kernel.open(backend); Net.Pair p = Net.pair()) {
            double[] r = Scheduler.run(k, () -> {
                KEnd A = new KEnd(k, p.a());
                KEnd B = new KEnd(k, p.b());
                Task<Void> echo = Task.spawn("echo", () -> { B.echo(size); return null; });
                ByteBuffer msg = Net.message(size), in = ByteBuffer.allocateDirect(size);
                double[] res = b.measure(n -> A.roundTrips(n, msg, in, size));
                p.a().shutdownOutput();
                echo.join();
                return res;
            });
            return List.of(new Row("3a", Kw.key(backend, size), Kw.name(backend) + ": 2 tasks of 1 scheduler, " + sizeLabel(size),
                    "kwait", backend, "ns/RT", "batch", r).put("size", size));
        }
    }

    /** 3a peer: one thread drives both ends through one Selector. */
    public static List<Row> nioOneThread(Args a) throws Exception {
        int size = a.integer("size", 1);
        Batches b = a.batches();
        try (Selector sel = Selector.open(); Net.Pair p = Net.pair()) {
            double[] r = b.measure(oneThreadRoundTrips(new NEnd(sel, p.a()), new NEnd(sel, p.b()), size));
            return List.of(new Row("3a", "nio-" + size, "NIO Selector, 1 thread drives both ends, " + sizeLabel(size),
                    "peer", "", "ns/RT", "batch", r).put("size", size));
        }
    }

    // ------------------------------------------------------------------ 3b: two threads

    /** 3b kwait: each end is the task of its own scheduler (and kernel) on its own thread. */
    public static List<Row> kwaitTwoThreads(Args a) throws Exception {
        String backend = a.str("backend");
        int size = a.integer("size", 1);
        Batches b = a.batches();
        try (Kernel ka = Kernel.open(backend); Kernel kb = Kernel.open(backend); Net.Pair p = Net.pair()) {
            Thread side = Thread.ofPlatform().name("side-b").start(() -> {
                try {
                    Scheduler.run(kb, () -> { new KEnd(kb, p.b()).echo(size); return null; });
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
            double[] r = Scheduler.run(ka, () -> {
                KEnd A = new KEnd(ka, p.a());
                ByteBuffer msg = Net.message(size), in = ByteBuffer.allocateDirect(size);
                return b.measure(n -> A.roundTrips(n, msg, in, size));
            });
            p.a().shutdownOutput();
            side.join();
            return List.of(new Row("3b", Kw.key(backend, size), Kw.name(backend) + ": 1 scheduler per end, 2 threads, " + sizeLabel(size),
                    "kwait", backend, "ns/RT", "batch", r).put("size", size));
        }
    }

    /** 3b peer: a plain Selector loop per thread. */
    public static List<Row> nioTwoThreads(Args a) throws Exception {
        int size = a.integer("size", 1);
        Batches b = a.batches();
        try (Selector sa = Selector.open(); Selector sb = Selector.open(); Net.Pair p = Net.pair()) {
            NEnd B = new NEnd(sb, p.b());
            Thread side = Thread.ofPlatform().name("side-b").start(() -> {
                try {
                    B.echo(size);
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
            NEnd A = new NEnd(sa, p.a());
            ByteBuffer msg = Net.message(size), in = ByteBuffer.allocateDirect(size);
            double[] r = b.measure(n -> A.roundTrips(n, msg, in, size));
            p.a().shutdownOutput();
            side.join();
            return List.of(new Row("3b", "nio-" + size, "NIO Selector loop per thread, 2 threads, " + sizeLabel(size),
                    "peer", "", "ns/RT", "batch", r).put("size", size));
        }
    }

    // ------------------------------------------------------------------ 4: 1 active among N idle

    /** The server ends of {@code count} idle connections whose client ends live in a child process. */
    static final class Idle implements AutoCloseable {
        final List<SocketChannel> conns = new ArrayList<>();
        final Process holder;

        Idle(int count) throws Exception {
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
                int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
                List<String> cmd = new ArrayList<>();
                cmd.add(ProcessHandle.current().info().command().orElse("java"));
                cmd.add("-Xmx64m");
                cmd.add("-cp");
                cmd.add(System.getProperty("java.class.path"));
                cmd.add(IdleHolder.class.getName());
                cmd.add("127.0.0.1");
                cmd.add(Integer.toString(port));
                cmd.add(Integer.toString(count));
                holder = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                while (conns.size() < count) {
                    SocketChannel c = server.accept();
                    c.configureBlocking(false);
                    conns.add(c);
                }
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.US_ASCII));
            String line = r.readLine();
            if (!"READY".equals(line)) throw new IOException("idle holder did not get ready: " + line);
        }

        @Override
        public void close() throws Exception {
            holder.getOutputStream().close(); // the holder exits on end of its stdin
            if (!holder.waitFor(10, TimeUnit.SECONDS)) holder.destroyForcibly();
            for (SocketChannel c : conns) c.close();
        }
    }

    /** 4 kwait: 3a's two tasks, then the same with one more task per idle connection, each waiting on it. */
    public static List<Row> kwaitIdle(Args a) throws Exception {
        String backend = a.str("backend");
        int idleCount = a.integer("idle", 10_000);
        int size = 1;
        Batches b = a.batches();
        try (Idle idle = new Idle(idleCount); Kernel k = Kernel.open(backend); Net.Pair p = Net.pair()) {
            double[][] r = Scheduler.run(k, () -> {
                KEnd A = new KEnd(k, p.a());
                KEnd B = new KEnd(k, p.b());
                Task<Void> echo = Task.spawn("echo", () -> { B.echo(size); return null; });
                ByteBuffer msg = Net.message(size), in = ByteBuffer.allocateDirect(size);
                double[] base = b.measure(n -> A.roundTrips(n, msg, in, size));
                List<Task<Void>> waiters = new ArrayList<>();
                for (SocketChannel c : idle.conns) {
                    List<Event> ev = List.of(Event.readable(c));
                    waiters.add(Task.spawn(() -> { k.wait(ev, null); return null; }));
                }
                Task.yieldNow(); // every idle task runs once and parks in its wait
                double[] loaded = b.measure(n -> A.roundTrips(n, msg, in, size));
                int registered = k.stats().fdRegistrations();
                for (Task<Void> t : waiters) t.cancel();
                p.a().shutdownOutput();
                echo.join();
                return new double[][] {base, loaded, {registered}};
            });
            return List.of(
                    new Row("4", Kw.key(backend, "0"), Kw.name(backend) + ": 1 connection", "kwait", backend, "ns/RT", "batch", r[0]),
                    new Row("4", Kw.key(backend, "idle"), Kw.name(backend) + ": 1 active + " + idleCount + " idle (a task waiting on each)",
                            "kwait", backend, "ns/RT", "batch", r[1]).put("idle", idleCount).put("registrations", (int) r[2][0]));
        }
    }

    /** 4 peer: the 3a single-thread Selector loop, then with every idle connection registered for OP_READ. */
    public static List<Row> nioIdle(Args a) throws Exception {
        int idleCount = a.integer("idle", 10_000);
        int size = 1;
        Batches b = a.batches();
        try (Idle idle = new Idle(idleCount); Selector sel = Selector.open(); Net.Pair p = Net.pair()) {
            Batches.Batch rt = oneThreadRoundTrips(new NEnd(sel, p.a()), new NEnd(sel, p.b()), size);
            double[] base = b.measure(rt);
            for (SocketChannel c : idle.conns) c.register(sel, SelectionKey.OP_READ);
            double[] loaded = b.measure(rt);
            return List.of(
                    new Row("4", "nio-0", "NIO Selector, 1 thread: 1 connection", "peer", "", "ns/RT", "batch", base),
                    new Row("4", "nio-idle", "NIO Selector, 1 thread: 1 active + " + idleCount + " idle registered",
                            "peer", "", "ns/RT", "batch", loaded).put("idle", idleCount));
        }
    }
}
