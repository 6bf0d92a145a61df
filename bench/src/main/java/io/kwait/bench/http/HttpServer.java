package io.kwait.bench.http;

import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * The scenario's servers, one per JVM: {@code java ... io.kwait.bench.http.HttpServer WAY [BACKEND]}
 * listens on 127.0.0.1 at an ephemeral port, prints {@code PORT n} on stdout and serves until its
 * stdin ends. Every way serves the same bytes with the same {@link Requests} scanner:
 *
 * <ul>
 *   <li>{@code kwait BACKEND}: a kwait task per connection (the strand from {@code -Dkwait.scheduler}),
 *       each waiting for readable, reading, answering; the accepting task waits on the listener.</li>
 *   <li>{@code netty}: Netty native epoll, one event loop for the listener and every connection ({@link NettyHttp}).</li>
 *   <li>{@code nio}: one thread, one {@code Selector}, a read buffer shared by every connection.</li>
 *   <li>{@code threads}: a virtual thread per connection over blocking {@code java.net.Socket} streams
 *       (the carrier count from {@code -Djdk.virtualThreadScheduler.parallelism}, or the default).</li>
 * </ul>
 */
public final class HttpServer {
    private HttpServer() {}

    static final int BACKLOG = 4096;
    static final int READ_BUFFER = 4096;

    public static void main(String[] args) throws Exception {
        String way = args[0];
        int port = switch (way) {
            case "kwait" -> {
                if (args.length < 2) throw new IllegalArgumentException("kwait needs a backend name: kwait epoll | kwait select");
                ServerSocketChannel l = listener();
                background(() -> kwait(args[1], l));
                yield port(l);
            }
            case "nio" -> {
                ServerSocketChannel l = listener();
                background(() -> nio(l));
                yield port(l);
            }
            case "threads" -> {
                ServerSocket l = new ServerSocket(0, BACKLOG, InetAddress.getByName("127.0.0.1"));
                Thread.ofVirtual().name("accept").start(() -> run(() -> threads(l)));
                yield l.getLocalPort();
            }
            case "netty" -> NettyHttp.start();
            default -> throw new IllegalArgumentException("unknown server " + way + " (kwait BACKEND | netty | nio | threads)");
        };
        System.out.println("PORT " + port);
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) { /* serve until the harness closes our stdin */ }
        System.exit(0);
    }

    private static ServerSocketChannel listener() throws IOException {
        ServerSocketChannel l = ServerSocketChannel.open();
        l.bind(new InetSocketAddress("127.0.0.1", 0), BACKLOG);
        return l;
    }

    private static int port(ServerSocketChannel l) throws IOException {
        return ((InetSocketAddress) l.getLocalAddress()).getPort();
    }

    private static void background(Body b) {
        Thread.ofPlatform().name("server").daemon(true).start(() -> run(b));
    }

    interface Body {
        void run() throws Exception;
    }

    private static void run(Body b) {
        try {
            b.run();
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(3); // a dead server must fail the round, not leave wrk counting timeouts
        }
    }

    // ------------------------------------------------------------------ kwait: a task per connection

    static void kwait(String backend, ServerSocketChannel listener) throws Exception {
        listener.configureBlocking(false);
        try (Kernel k = Kernel.open(backend)) {
            ByteBuffer answers = Requests.responses();
            Scheduler.run(k, () -> {
                List<Event> acceptable = List.of(Event.readable(listener));
                while (true) {
                    SocketChannel c = listener.accept();
                    if (c == null) {
                        k.wait(acceptable, null);
                        continue;
                    }
                    c.configureBlocking(false);
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    Task.spawn(() -> kwaitConnection(k, c, answers.duplicate()));
                }
            });
        }
    }

    private static Void kwaitConnection(Kernel k, SocketChannel c, ByteBuffer answers) throws Exception {
        List<Event> readable = List.of(Event.readable(c)), writable = List.of(Event.writable(c));
        ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER);
        Requests requests = new Requests();
        try (c) {
            while (true) {
                k.wait(readable, null);
                in.clear();
                int r = c.read(in);
                if (r < 0) return null;
                int n = requests.feed(in.flip());
                while (n > 0) { // n < 0: malformed, answered below
                    int batch = Math.min(n, Requests.BATCH);
                    answers.limit(batch * Requests.RESPONSE.length).position(0);
                    while (answers.hasRemaining()) {
                        if (c.write(answers) == 0) k.wait(writable, null);
                    }
                    n -= batch;
                }
                if (n < 0) {
                    c.write(ByteBuffer.wrap(Requests.BAD)); // best effort: the connection closes
                    return null;
                }
            }
        } catch (IOException e) {
            return null; // the client went away (reset): this connection ends
        }
    }

    // ------------------------------------------------------------------ NIO: one selector loop

    /** A connection of the selector loop: its scanner and the answers it still owes. */
    private static final class NioConn {
        final Requests requests = new Requests();
        final ByteBuffer answers;
        int owed;

        NioConn(ByteBuffer answers) {
            this.answers = answers;
        }
    }

    static void nio(ServerSocketChannel listener) throws IOException {
        listener.configureBlocking(false);
        ByteBuffer shared = Requests.responses();
        ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER * 4);
        try (Selector sel = Selector.open()) {
            listener.register(sel, SelectionKey.OP_ACCEPT);
            while (true) {
                sel.select(key -> {
                    try {
                        if (key.isAcceptable()) {
                            SocketChannel c;
                            while ((c = listener.accept()) != null) {
                                c.configureBlocking(false);
                                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                                c.register(sel, SelectionKey.OP_READ, new NioConn(shared.duplicate()));
                            }
                            return;
                        }
                        SocketChannel c = (SocketChannel) key.channel();
                        NioConn conn = (NioConn) key.attachment();
                        if (key.isReadable()) {
                            in.clear();
                            if (c.read(in) < 0) {
                                key.cancel();
                                c.close();
                                return;
                            }
                            int n = conn.requests.feed(in.flip());
                            if (n < 0) {
                                c.write(ByteBuffer.wrap(Requests.BAD));
                                key.cancel();
                                c.close();
                                return;
                            }
                            conn.owed = n;
                            conn.answers.limit(0);
                        }
                        if (nioFlush(c, conn)) key.interestOps(SelectionKey.OP_READ);
                        else key.interestOps(SelectionKey.OP_WRITE); // stop reading until the client takes our answers
                    } catch (IOException e) {
                        key.cancel();
                        try {
                            key.channel().close();
                        } catch (IOException ignored) {
                            // closing a broken connection
                        }
                    }
                });
            }
        }
    }

    /** Writes what the connection owes; true when all of it went out. */
    private static boolean nioFlush(SocketChannel c, NioConn conn) throws IOException {
        ByteBuffer a = conn.answers;
        while (true) {
            if (!a.hasRemaining()) {
                if (conn.owed == 0) return true;
                int batch = Math.min(conn.owed, Requests.BATCH);
                a.limit(batch * Requests.RESPONSE.length).position(0);
                conn.owed -= batch;
            }
            c.write(a);
            if (a.hasRemaining()) return false;
        }
    }

    // ------------------------------------------------------------------ a virtual thread per connection

    static void threads(ServerSocket listener) throws IOException {
        while (true) {
            Socket s = listener.accept();
            s.setTcpNoDelay(true);
            Thread.ofVirtual().start(() -> threadConnection(s));
        }
    }

    private static void threadConnection(Socket s) {
        byte[] buf = new byte[READ_BUFFER];
        ByteBuffer view = ByteBuffer.wrap(buf);
        Requests requests = new Requests();
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            while (true) {
                int r = in.read(buf);
                if (r < 0) return;
                int n = requests.feed(view.limit(r).position(0));
                if (n < 0) {
                    out.write(Requests.BAD);
                    return;
                }
                while (n > 0) {
                    int batch = Math.min(n, Requests.BATCH);
                    out.write(ANSWERS, 0, batch * Requests.RESPONSE.length);
                    n -= batch;
                }
            }
        } catch (IOException e) {
            // the client went away: this connection ends
        }
    }

    private static final byte[] ANSWERS = new byte[Requests.RESPONSE.length * Requests.BATCH];

    static {
        for (int i = 0; i < Requests.BATCH; i++) System.arraycopy(Requests.RESPONSE, 0, ANSWERS, i * Requests.RESPONSE.length, Requests.RESPONSE.length);
    }
}
