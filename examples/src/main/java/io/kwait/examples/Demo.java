package io.kwait.examples;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * kwait in one screen: ONE wait loop serves a child process, a listening socket, a periodic
 * timer, a signal, a task, a {@link CompletableFuture} and a channel, while other tasks talk over
 * a loopback socket and pass messages over channels. Every {@link Fired} is printed as it happens.
 *
 * <pre>
 * mvn -q -Pdemo -pl examples -am verify -DskipTests [-Dbackend=select]
 * java -cp ... io.kwait.examples.Demo [--backend=NAME]
 * </pre>
 *
 * Ends by itself once the child has exited and every kind of event has fired at least once
 * (about one second); exit code 0, or non-zero with a message on any error.
 */
public final class Demo {
    private static final PrintStream OUT = System.out;
    /** The demo gives up (and fails) if it has not seen everything by then. */
    private static final Duration DEADLINE = Duration.ofSeconds(15);
    /** What the main loop must have seen before it ends. */
    private static final List<String> REQUIRED = List.of("READ", "EXIT", "EXPIRE", "SIGNAL", "DONE(task)", "DONE(stage)", "RECV");

    private final long t0 = System.nanoTime();
    private final Kernel kernel;
    /** Kinds fired in the main loop, in the order first seen. */
    private final Set<String> mainKinds = new LinkedHashSet<>();
    /** Kinds fired in the other tasks' waits. */
    private final Set<String> taskKinds = new LinkedHashSet<>();

    private Demo(Kernel kernel) {
        this.kernel = kernel;
    }

    public static void main(String[] args) {
        String backend;
        try {
            backend = parseBackend(args);
        } catch (IllegalArgumentException e) {
            System.err.println("kwait demo: " + e.getMessage());
            System.err.println("usage: Demo [--backend=NAME]   (NAME: select, epoll, kqueue; empty or absent: the best available)");
            System.exit(2);
            return;
        }
        if (backend == null) { // --help
            OUT.println("usage: Demo [--backend=NAME]   (NAME: select, epoll, kqueue; empty or absent: the best available)");
            return;
        }
        int code;
        try {
            code = run(backend);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            System.err.println("kwait demo failed: " + cause);
            cause.printStackTrace();
            code = 1;
        } catch (Exception e) {
            System.err.println("kwait demo failed: " + e);
            e.printStackTrace();
            code = 1;
        }
        OUT.flush();
        if (code != 0) System.exit(code);
    }

    /** Returns the backend name ("" for the default), or null for --help. */
    static String parseBackend(String[] args) {
        String backend = "";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) return null;
            if (a.startsWith("--backend=")) {
                backend = a.substring("--backend=".length()).trim();
            } else if (a.equals("--backend")) {
                if (i + 1 >= args.length) throw new IllegalArgumentException("--backend needs a value");
                backend = args[++i].trim();
            } else {
                throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
        }
        return backend;
    }

    private static int run(String backend) throws Exception {
        String available = Kernel.backends().stream()
                .map(b -> b.name() + (b.available() ? " (available)" : " (unavailable: " + b.reason() + ")"))
                .collect(Collectors.joining(", "));
        Kernel opened;
        try {
            opened = backend.isEmpty() ? Kernel.open() : Kernel.open(backend);
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            // An unknown or unavailable backend: the message says which and why.
            System.err.println("kwait demo: cannot open a kernel" + (backend.isEmpty() ? "" : " on backend '" + backend + "'")
                    + ": " + e.getMessage());
            System.err.println("kwait demo: installed backends: " + available);
            return 2;
        }
        try (Kernel kernel = opened) {
            OUT.println("kwait demo: backend " + kernel.backendName()
                    + (backend.isEmpty() ? " (default choice)" : " (forced)") + "; installed: " + available);
            OUT.println("kwait demo: pid " + ProcessHandle.current().pid() + ", Java " + Runtime.version());
            OUT.println();
            OUT.printf("%7s  %-9s %-6s  %-28s  %s%n", "time", "who", "filter", "what", "details");
            Demo demo = new Demo(kernel);
            return Scheduler.run(kernel, demo::mainTask);
        }
    }

    // ------------------------------------------------------------------ the main task: one wait loop

    private int mainTask() throws Exception {
        // A child process: discards its output, gets no input, exits with status 3 after a second.
        Process child = new ProcessBuilder("sh", "-c", "sleep 1; exit 3")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        child.getOutputStream().close();

        // A loopback server; the main loop accepts, a task per connection echoes.
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        server.configureBlocking(false);
        SocketAddress address = server.getLocalAddress();

        // Connection tasks send log lines to a logger task over a bounded channel.
        Chan<String> log = Chan.bounded(8);
        Task<Integer> logger = Task.spawn("logger", () -> {
            int n = 0;
            for (String line : log) {
                OUT.printf("%7s  %-9s %-6s  %s%n", ms(), "logger", "", line);
                n++;
            }
            return n;
        });

        // The client task hands each echoed reply to the main loop over this channel.
        Chan<String> replies = Chan.bounded(4);
        Task<String> client = Task.spawn("client", () -> client(address, replies));

        // Work on another thread pool, awaited as a CompletionStage.
        CompletableFuture<Integer> primes = CompletableFuture.supplyAsync(() -> countPrimes(1_000_000),
                CompletableFuture.delayedExecutor(400, TimeUnit.MILLISECONDS));

        List<Event> events = new ArrayList<>(List.of(
                Event.exit(child).withAttachment("child sh pid " + child.pid()),
                Event.readable(server).withAttachment("server " + address),
                Event.recv(replies).withAttachment("chan replies"),
                Event.signal("USR1").withAttachment("SIGUSR1"),
                Event.every(Duration.ofMillis(250)).withAttachment("every 250ms"),
                Event.done(client).withAttachment("task client"),
                Event.done(primes).withAttachment("CompletableFuture primes"),
                Event.at(Instant.now().plus(DEADLINE)).withAttachment("deadline " + DEADLINE.toSeconds() + "s")));

        // The signal is sent by a task, and a spawned task runs only once this task suspends in
        // its first wait below, which installs the kernel's USR1 handler first (USR1's default
        // action would kill the JVM).
        Task<Integer> signaller = Task.spawn("signaller", this::signalMyself);

        List<Task<Long>> connections = new ArrayList<>();
        Integer childStatus = null;
        long ticks = 0;
        int signals = 0;
        while (childStatus == null || !mainKinds.containsAll(REQUIRED)) {
            for (Fired f : kernel.wait(events, null)) {
                String details;
                switch (f.filter()) {
                    case EXIT -> {
                        childStatus = f.exitStatus().orElse(-1);
                        events.remove(f.event()); // an exited process fires on every later wait: stop asking
                        details = "exit status " + (f.exitStatus().isPresent() ? childStatus : "unknown");
                    }
                    case READ -> {
                        SocketChannel c = server.accept();
                        if (c == null) {
                            details = "nothing to accept (another waiter took it)";
                        } else {
                            c.configureBlocking(false);
                            String name = "conn-" + (connections.size() + 1);
                            SocketAddress peer = c.getRemoteAddress();
                            connections.add(Task.spawn(name, () -> serve(name, c, log)));
                            details = "accepted " + peer + " -> task " + name;
                        }
                    }
                    case EXPIRE -> {
                        if (f.event().kind() == Event.Kind.TIMER_AT) {
                            throw new IllegalStateException("the demo did not finish within " + DEADLINE.toSeconds()
                                    + " s; still missing: " + missing() + (childStatus == null ? " and the child's exit" : ""));
                        }
                        ticks += f.count();
                        details = "count=" + f.count() + ", tick #" + ticks;
                    }
                    case SIGNAL -> {
                        signals += (int) f.count();
                        details = "count=" + f.count() + " (" + signals + " in total)";
                    }
                    case DONE -> {
                        events.remove(f.event()); // done stays done: stop asking
                        details = f.isError() ? "failed: " + f.error() : "result: " + f.result();
                        if (f.isError() && f.event().kind() == Event.Kind.TASK) {
                            throw new IllegalStateException(f.attachment() + " failed", f.error());
                        }
                    }
                    case RECV -> {
                        if (f.isEof()) {
                            events.remove(f.event()); // closed and drained
                            details = "EOF: closed and drained";
                        } else {
                            List<String> got = new ArrayList<>();
                            for (Optional<String> m; (m = replies.tryReceive()).isPresent(); ) got.add(m.get());
                            details = "received " + got;
                        }
                    }
                    default -> details = String.valueOf(f);
                }
                mainKinds.add(kindOf(f));
                show("main", f, details);
            }
        }

        // Everything was seen: shut down in order and join every task.
        server.close();
        for (Task<Long> t : connections) t.join();
        log.close(); // the logger drains what was sent, then its loop ends
        int logged = logger.join();
        int killStatus = signaller.join();
        String reply = client.join();
        OUT.println();
        OUT.printf("summary: main loop saw %s; other tasks saw %s; child exit %d; %d ticks; %d signal(s); "
                        + "%d connection(s), %d log line(s), client: %s, kill exit %d; backend %s; %d ms%n",
                String.join(" ", mainKinds), String.join(" ", taskKinds), childStatus, ticks, signals,
                connections.size(), logged, reply, killStatus, kernel.backendName(), (System.nanoTime() - t0) / 1_000_000);
        return 0;
    }

    // ------------------------------------------------------------------ the other tasks

    /** Connects, sends three messages a little apart, and hands each echo to the main loop. */
    private String client(SocketAddress address, Chan<String> replies) throws Exception {
        try (SocketChannel sc = SocketChannel.open()) {
            sc.configureBlocking(false);
            if (!sc.connect(address)) {
                Fired f = waitOne("client", Event.writable(sc).withAttachment("connect to " + address));
                sc.finishConnect();
                show("client", f, "connect completed (finishConnect)");
            }
            ByteBuffer in = ByteBuffer.allocate(256);
            String[] messages = {"hello", "kwait", "bye"};
            for (int i = 0; i < messages.length; i++) {
                if (i > 0) {
                    Fired f = waitOne("client", Event.after(Duration.ofMillis(150)).withAttachment("pause 150ms"));
                    show("client", f, "paused");
                }
                ByteBuffer out = StandardCharsets.UTF_8.encode(messages[i] + "\n");
                int sent = 0;
                while (out.hasRemaining()) {
                    Fired f = waitOne("client", Event.writable(sc).withAttachment("client socket"));
                    int n = sc.write(out);
                    sent += n;
                    show("client", f, "wrote " + n + " bytes");
                }
                // Read until the whole echoed line is back.
                String line = null;
                while (line == null) {
                    Fired f = waitOne("client", Event.readable(sc).withAttachment("client socket"));
                    int n = sc.read(in);
                    if (n < 0) throw new IOException("server closed the connection early");
                    show("client", f, "read " + n + " bytes");
                    line = takeLine(in);
                }
                replies.send("echo '" + line + "' (" + sent + " bytes)");
            }
            sc.shutdownOutput(); // the server's task sees end of stream and ends
            return messages.length + " echoes";
        } finally {
            replies.close();
        }
    }

    /** Echoes everything a connection sends, logging each exchange; ends at end of stream. */
    private long serve(String name, SocketChannel c, Chan<String> log) throws Exception {
        long total = 0;
        try (c) {
            ByteBuffer buf = ByteBuffer.allocate(1024);
            while (true) {
                Fired f = waitOne(name, Event.readable(c).withAttachment(name + " socket"));
                buf.clear();
                int n = c.read(buf);
                if (n < 0) {
                    show(name, f, "end of stream" + (f.isEof() ? " (EOF flag)" : ""));
                    log.send(name + ": peer closed after " + total + " bytes");
                    return total;
                }
                show(name, f, "read " + n + " bytes");
                buf.flip();
                String text = StandardCharsets.UTF_8.decode(buf.duplicate()).toString().strip();
                while (buf.hasRemaining()) {
                    if (c.write(buf) == 0) waitOne(name, Event.writable(c).withAttachment(name + " socket"));
                }
                total += n;
                log.send(name + ": echoed '" + text + "'");
            }
        }
    }

    /** Sends SIGUSR1 to this JVM through kill(1), then waits for kill to exit. */
    private int signalMyself() throws Exception {
        long pid = ProcessHandle.current().pid();
        Process kill = new ProcessBuilder("sh", "-c", "kill -USR1 " + pid)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        kill.getOutputStream().close();
        Fired f = waitOne("signaller", Event.exit(kill).withAttachment("kill -USR1 " + pid));
        int status = f.exitStatus().orElse(-1);
        show("signaller", f, "exit status " + status);
        if (status != 0) throw new IOException("kill -USR1 " + pid + " failed with status " + status);
        return status;
    }

    // ------------------------------------------------------------------ helpers

    /** One wait for one event, with a safety timeout. */
    private Fired waitOne(String who, Event e) throws InterruptedException {
        List<Fired> fired = kernel.wait(List.of(e), Duration.ofSeconds(5));
        if (fired.isEmpty()) throw new IllegalStateException(who + ": timed out waiting for " + e);
        Fired f = fired.get(0);
        if (f.isError()) throw new IllegalStateException(who + ": " + e + " failed", f.error());
        taskKinds.add(kindOf(f));
        return f;
    }

    private static String kindOf(Fired f) {
        if (f.filter() == Filter.DONE) return f.event().kind() == Event.Kind.TASK ? "DONE(task)" : "DONE(stage)";
        return f.filter().name();
    }

    private void show(String who, Fired f, String details) {
        Object what = f.attachment() != null ? f.attachment() : f.event();
        String flags = (f.isEof() ? " [EOF]" : "") + (f.isError() ? " [ERROR]" : "");
        OUT.printf("%7s  %-9s %-6s  %-28s  %s%s%n", ms(), who, f.filter(), what, details, flags);
    }

    private String ms() {
        return (System.nanoTime() - t0) / 1_000_000 + " ms";
    }

    private String missing() {
        List<String> m = new ArrayList<>(REQUIRED);
        m.removeAll(mainKinds);
        return m.isEmpty() ? "nothing" : String.join(", ", m);
    }

    private static String takeLine(ByteBuffer in) {
        for (int i = 0; i < in.position(); i++) {
            if (in.get(i) == '\n') {
                byte[] line = new byte[i];
                in.flip();
                in.get(line);
                in.get(); // the newline
                in.compact();
                return new String(line, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static int countPrimes(int below) {
        boolean[] composite = new boolean[below];
        int count = 0;
        for (int i = 2; i < below; i++) {
            if (composite[i]) continue;
            count++;
            for (long j = (long) i * i; j < below; j += i) composite[(int) j] = true;
        }
        return count;
    }
}
