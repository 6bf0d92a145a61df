package io.kwait.examples;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Socket ping-pong through {@code kernel.wait}, per backend, next to a plain NIO {@link Selector}
 * loop: one loopback TCP connection, 1-byte messages, both ends served by one thread (or one
 * scheduler), so the figure is the cost of the wait machinery and the syscalls, not of waking
 * threads on other cores. A plain harness (medians of timed batches after a warm-up), not JMH.
 *
 * <pre>
 * mvn -q -pl examples -am -DskipTests -Ppingpong verify
 * java --enable-native-access=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
 *      [--add-exports java.base/jdk.internal.vm=ALL-UNNAMED] -cp ... \
 *      io.kwait.examples.PingPong [--warmup-ms=1000] [--batch-ms=500] [--batches=5]
 * </pre>
 *
 * A round trip: the client writes a byte, the server end reads it and writes one back, the
 * client reads it. Figures, in round trips per second:
 * <ul>
 *   <li>{@code nio}: one {@code Selector} with both ends registered for {@code OP_READ}; each
 *       {@code select()} handles what is ready (the shape every NIO event loop has);</li>
 *   <li>{@code kwait/<backend> thread}: the same loop with {@code kernel.wait(List.of(readable(server),
 *       readable(client)), null)} on a plain thread;</li>
 *   <li>{@code kwait/<backend> tasks}: two tasks of one {@link Scheduler}, each waiting on its own
 *       end, so every round trip also costs two task switches;</li>
 *   <li>{@code kwait/epoll thread, no bytes}: the thread loop on epoll with
 *       {@code -Dkwait.epoll.bytes=false}, i.e. without the {@code ioctl(FIONREAD)} that gives
 *       every READ report its byte count.</li>
 * </ul>
 * A second table serves each end from its own platform thread (own {@code Selector}, own
 * {@code Kernel}), so every wait blocks and is woken from the other core: the cost of the
 * blocking path (for epoll: a non-blocking {@code epoll_wait}, a JDK {@code Selector} sleeping on
 * the epoll fd, and a second non-blocking {@code epoll_wait}) next to NIO's own blocking select.
 */
public final class PingPong {
    private static final PrintStream OUT = System.out;

    private final long warmupNanos;
    private final long batchNanos;
    private final int batches;

    private PingPong(long warmupMs, long batchMs, int batches) {
        this.warmupNanos = warmupMs * 1_000_000;
        this.batchNanos = batchMs * 1_000_000;
        this.batches = batches;
    }

    /** Runs {@code n} round trips and returns the nanoseconds they took. */
    @FunctionalInterface
    interface Batch {
        long run(int n) throws Exception;
    }

    record Result(String label, double[] perSecond) {
        double median() {
            double[] s = perSecond.clone();
            Arrays.sort(s);
            int m = s.length / 2;
            return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
        }
    }

    public static void main(String[] args) throws Exception {
        long warmupMs = 1000, batchMs = 500;
        int batches = 5;
        for (String a : args) {
            if (a.startsWith("--warmup-ms=")) warmupMs = Long.parseLong(a.substring(12));
            else if (a.startsWith("--batch-ms=")) batchMs = Long.parseLong(a.substring(11));
            else if (a.startsWith("--batches=")) batches = Integer.parseInt(a.substring(10));
            else {
                System.err.println("PingPong: unknown argument '" + a + "'; use --warmup-ms=, --batch-ms=, --batches=");
                System.exit(2);
            }
        }
        new PingPong(warmupMs, batchMs, batches).runAll();
    }

    private void runAll() throws Exception {
        String strand;
        try (Kernel k = Kernel.open("select")) {
            strand = Scheduler.run(k, () -> Scheduler.current().strand());
        }
        OUT.printf(Locale.ROOT, "kwait PingPong: 1-byte round trips on one loopback TCP connection, one thread;"
                + " Java %s, %d CPUs, scheduler strand %s%n", Runtime.version(), Runtime.getRuntime().availableProcessors(), strand);
        OUT.printf(Locale.ROOT, "backends here: %s%n", Kernel.backends());
        List<Result> results = new ArrayList<>();
        results.add(measure("nio Selector loop", this::nioBatch));
        for (Kernel.BackendInfo b : Kernel.backends()) {
            if (!b.available()) continue;
            try (Kernel kernel = Kernel.open(b.name())) {
                results.add(measure("kwait/" + b.name() + " thread", n -> kwaitThreadBatch(kernel, n)));
                results.add(measure("kwait/" + b.name() + " tasks", n -> kwaitTaskBatch(kernel, n)));
            }
            if (b.name().equals("epoll")) {
                // What the byte count (one ioctl(FIONREAD) per READ report) costs.
                System.setProperty("kwait.epoll.bytes", "false");
                try (Kernel kernel = Kernel.open(b.name())) {
                    results.add(measure("kwait/epoll thread, no bytes", n -> kwaitThreadBatch(kernel, n)));
                } finally {
                    System.clearProperty("kwait.epoll.bytes");
                }
            }
        }
        List<Result> blocking = new ArrayList<>();
        blocking.add(measure("nio two threads", this::nioThreadsBatch));
        for (Kernel.BackendInfo b : Kernel.backends()) {
            if (!b.available()) continue;
            try (Kernel mine = Kernel.open(b.name()); Kernel theirs = Kernel.open(b.name())) {
                blocking.add(measure("kwait/" + b.name() + " two threads", n -> kwaitThreadsBatch(mine, theirs, n)));
            }
        }
        print("one thread, nothing ever blocks", results);
        print("each end on its own thread: every wait blocks and is woken from the other thread", blocking);
    }

    private static void print(String title, List<Result> results) {
        OUT.println();
        OUT.printf(Locale.ROOT, "%-32s %14s %12s   (%s)%n", "", "round trips/s", "us/trip", title);
        for (Result r : results) {
            OUT.printf(Locale.ROOT, "%-32s %14.0f %12.2f%n", r.label(), r.median(), 1e6 / r.median());
        }
    }

    private Result measure(String label, Batch batch) throws Exception {
        long end = System.nanoTime() + warmupNanos;
        int n = 1000;
        while (System.nanoTime() < end) {
            long t = batch.run(n);
            if (t < batchNanos / 4) n *= 2;
        }
        // Size one batch to about batchNanos.
        long t = batch.run(n);
        int perBatch = (int) Math.max(1000, Math.min(Integer.MAX_VALUE, n * (double) batchNanos / Math.max(1, t)));
        double[] perSecond = new double[batches];
        for (int i = 0; i < batches; i++) perSecond[i] = perBatch * 1e9 / batch.run(perBatch);
        Result r = new Result(label, perSecond);
        OUT.printf(Locale.ROOT, "  %-32s median %,.0f/s  (batches: %s)%n", label, r.median(), Arrays.toString(
                Arrays.stream(perSecond).mapToLong(Math::round).toArray()));
        return r;
    }

    // ---------------------------------------------------------------- the connection

    private SocketChannel client;
    private SocketChannel server;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);

    private void connect() throws IOException {
        if (client != null) return;
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            client = SocketChannel.open(listener.getLocalAddress());
            server = listener.accept();
        }
        client.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        server.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        client.configureBlocking(false);
        server.configureBlocking(false);
    }

    private void send(SocketChannel ch) throws IOException {
        one.clear();
        if (ch.write(one) != 1) throw new IllegalStateException("a 1-byte write did not go through");
    }

    /** The pong thread's step: reads the ping on the server end into {@code b} and writes it back; whether one came. */
    private boolean echo(ByteBuffer b) throws IOException {
        b.clear();
        if (server.read(b) != 1) return false;
        b.flip();
        server.write(b);
        return true;
    }

    private boolean receive(SocketChannel ch) throws IOException {
        one.clear();
        int r = ch.read(one);
        if (r < 0) throw new IllegalStateException("connection closed");
        return r == 1;
    }

    // ---------------------------------------------------------------- the contestants

    private long nioBatch(int n) throws IOException {
        connect();
        try (Selector selector = Selector.open()) {
            SelectionKey sk = server.register(selector, SelectionKey.OP_READ);
            SelectionKey ck = client.register(selector, SelectionKey.OP_READ);
            int done = 0;
            long t0 = System.nanoTime();
            send(client);
            while (done < n) {
                selector.select();
                for (SelectionKey k : selector.selectedKeys()) {
                    if (k == sk && receive(server)) send(server);
                    else if (k == ck && receive(client) && ++done < n) send(client);
                }
                selector.selectedKeys().clear();
            }
            long t = System.nanoTime() - t0;
            sk.cancel();
            ck.cancel();
            selector.selectNow(); // flush the cancelled keys so the channels can be registered elsewhere
            return t;
        }
    }

    private long kwaitThreadBatch(Kernel kernel, int n) throws Exception {
        connect();
        Event fromClient = Event.readable(server);
        Event fromServer = Event.readable(client);
        List<Event> events = List.of(fromClient, fromServer);
        int done = 0;
        long t0 = System.nanoTime();
        send(client);
        while (done < n) {
            for (Fired f : kernel.wait(events, null)) {
                if (f.event() == fromClient && receive(server)) send(server);
                else if (f.event() == fromServer && receive(client) && ++done < n) send(client);
            }
        }
        return System.nanoTime() - t0;
    }

    private long kwaitTaskBatch(Kernel kernel, int n) throws Exception {
        connect();
        return Scheduler.run(kernel, () -> {
            List<Event> serverReadable = List.of(Event.readable(server));
            List<Event> clientReadable = List.of(Event.readable(client));
            Task<Void> pong = Task.spawn(() -> {
                for (int i = 0; i < n; ) {
                    kernel.wait(serverReadable, null);
                    if (receive(server)) {
                        send(server);
                        i++;
                    }
                }
                return null;
            });
            long t0 = System.nanoTime();
            for (int i = 0; i < n; ) {
                send(client);
                do kernel.wait(clientReadable, null); while (!receive(client));
                i++;
            }
            long t = System.nanoTime() - t0;
            pong.join();
            return t;
        });
    }

    private long nioThreadsBatch(int n) throws Exception {
        connect();
        Thread pong = Thread.ofPlatform().name("pong").start(() -> {
            try (Selector selector = Selector.open()) {
                server.register(selector, SelectionKey.OP_READ);
                ByteBuffer b = ByteBuffer.allocateDirect(1);
                for (int i = 0; i < n; ) {
                    selector.select();
                    selector.selectedKeys().clear();
                    if (echo(b)) i++;
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long t;
        try (Selector selector = Selector.open()) {
            client.register(selector, SelectionKey.OP_READ);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                send(client);
                do {
                    selector.select();
                    selector.selectedKeys().clear();
                } while (!receive(client));
            }
            t = System.nanoTime() - t0;
        }
        pong.join();
        return t;
    }

    private long kwaitThreadsBatch(Kernel mine, Kernel theirs, int n) throws Exception {
        connect();
        List<Event> serverReadable = List.of(Event.readable(server));
        List<Event> clientReadable = List.of(Event.readable(client));
        Thread pong = Thread.ofPlatform().name("pong").start(() -> {
            ByteBuffer b = ByteBuffer.allocateDirect(1);
            try {
                for (int i = 0; i < n; ) {
                    theirs.wait(serverReadable, null);
                    if (echo(b)) i++;
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            send(client);
            do mine.wait(clientReadable, null); while (!receive(client));
        }
        long t = System.nanoTime() - t0;
        pong.join();
        return t;
    }
}
