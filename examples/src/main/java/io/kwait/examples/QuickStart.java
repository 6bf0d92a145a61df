package io.kwait.examples;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** kwait's quick start: one wait loop serves a socket, a channel and two timers while tasks talk over loopback. */
public final class QuickStart {
    public static void main(String[] args) throws Exception {
        try (Kernel kernel = Kernel.open();                      // the best backend here: epoll, kqueue or select
             ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0)).configureBlocking(false);
            String summary = Scheduler.run(kernel, () -> {
                System.out.println("backend=" + kernel.backendName() + " strand=" + Scheduler.current().strand());
                Chan<String> replies = Chan.bounded(1);
                Task.spawn(() -> client(kernel, server, replies)); // runs whenever this task waits
                Event accept = Event.readable(server), reply = Event.recv(replies);
                Event tick = Event.every(Duration.ofMillis(10)), giveUp = Event.after(Duration.ofSeconds(10));
                long ticks = 0;
                while (true) {
                    for (Fired f : kernel.wait(List.of(accept, reply, tick, giveUp), null)) { // null: no timeout
                        if (f.event() == accept) {
                            SocketChannel peer = server.accept();
                            if (peer != null) Task.spawn(() -> echo(kernel, peer));
                        } else if (f.event() == reply) {
                            return "the client got \"" + replies.receive() + "\" back after " + ticks + " ticks";
                        } else if (f.event() == tick) {
                            ticks += f.count();                  // periodic timers count missed periods
                        } else {
                            throw new IOException("no reply within 10 s");
                        }
                    }
                }
            });
            System.out.println(summary);
        }
    }

    /** Connects, sends one line and passes the echo on: each wait suspends only this task. */
    private static Void client(Kernel kernel, ServerSocketChannel server, Chan<String> replies) throws Exception {
        try (SocketChannel c = SocketChannel.open()) {
            c.configureBlocking(false);
            if (!c.connect(server.getLocalAddress())) {
                kernel.wait(List.of(Event.writable(c)), Duration.ofSeconds(5));
                c.finishConnect();
            }
            c.write(StandardCharsets.UTF_8.encode("hello\n"));
            replies.send(readLine(kernel, c));
        }
        return null;
    }

    /** Serves one connection: reads a line and writes it back. */
    private static Void echo(Kernel kernel, SocketChannel peer) throws Exception {
        try (peer) {
            peer.configureBlocking(false);
            String line = readLine(kernel, peer);
            peer.write(StandardCharsets.UTF_8.encode(line + "\n"));
        }
        return null;
    }

    private static String readLine(Kernel kernel, SocketChannel c) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(256);
        while (buf.position() == 0 || buf.get(buf.position() - 1) != '\n') {
            if (kernel.wait(List.of(Event.readable(c)), Duration.ofSeconds(5)).isEmpty()) throw new IOException("read timed out");
            if (c.read(buf) < 0) throw new IOException("connection closed early");
        }
        return new String(buf.array(), 0, buf.position() - 1, StandardCharsets.UTF_8);
    }
}
