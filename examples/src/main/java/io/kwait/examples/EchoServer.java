package io.kwait.examples;

import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * An echo server with a task per connection: the accept loop and every connection are plain
 * straight-line code in their own task, each wait suspending only that task. With no arguments
 * it tests itself: it serves an ephemeral loopback port, connects three clients to it (tasks too),
 * checks their echoes and exits; with {@code --port=N} it serves 127.0.0.1:N until killed
 * (try {@code nc 127.0.0.1 N}).
 *
 * <pre>
 * mvn -q -Pexample -Dexample=EchoServer -pl examples -am verify -DskipTests
 * </pre>
 */
public final class EchoServer {
    private EchoServer() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 && args[0].startsWith("--port=") ? Integer.parseInt(args[0].substring(7)) : 0;
        try (Kernel kernel = Kernel.open(); ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", port)).configureBlocking(false);
            System.out.println("echo server on " + server.getLocalAddress() + " (" + kernel.backendName() + ")");
            Scheduler.run(kernel, () -> {
                Task<?> acceptor = Task.spawn("acceptor", () -> {
                    while (true) {
                        kernel.wait(List.of(Event.readable(server)), null);
                        SocketChannel peer = server.accept(); // null if another wake-up took it
                        if (peer != null) Task.spawn("conn-" + peer.getRemoteAddress(), () -> echo(kernel, peer));
                    }
                });
                if (port != 0) return acceptor.join(); // serve until the JVM is stopped
                List<Task<String>> clients = List.of(client(kernel, server, "one"), client(kernel, server, "two"),
                        client(kernel, server, "three"));
                for (Task<String> c : clients) System.out.println("client got back: " + c.join());
                return null; // the root's end cancels the acceptor and any connection task left
            });
        }
    }

    /** Serves one connection until the peer closes it. */
    private static Void echo(Kernel kernel, SocketChannel peer) throws Exception {
        try (peer) {
            peer.configureBlocking(false);
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (true) {
                kernel.wait(List.of(Event.readable(peer)), null);
                if (peer.read(buf) < 0) return null;
                buf.flip();
                while (buf.hasRemaining()) {
                    if (peer.write(buf) == 0) kernel.wait(List.of(Event.writable(peer)), null);
                }
                buf.clear();
            }
        }
    }

    /** A client task: sends {@code word}, reads its echo, closes. */
    private static Task<String> client(Kernel kernel, ServerSocketChannel server, String word) {
        return Task.spawn("client-" + word, () -> {
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress())) { // loopback: connects at once
                c.configureBlocking(false);
                c.write(StandardCharsets.UTF_8.encode(word));
                ByteBuffer in = ByteBuffer.allocate(64);
                while (in.position() < word.length()) {
                    if (kernel.wait(List.of(Event.readable(c)), Duration.ofSeconds(5)).isEmpty()) throw new IllegalStateException("no echo");
                    if (c.read(in) < 0) throw new IllegalStateException("closed early");
                }
                return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
            }
        });
    }
}
