package io.kwait.tests;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;

/**
 * The JDK opens some fds once per JVM and keeps them (the virtual-thread pollers, the process
 * launcher's helpers, DNS/loopback setup, the SecureRandom behind JNR's first load). Touching
 * each of those paths once before the first test keeps the per-test fd count exact.
 */
final class JdkWarmUp {
    private static boolean done;

    static synchronized void run() {
        if (done) return;
        done = true;
        // Probing every backend loads JNR for the native ones; jffi extracts its stub through
        // File.createTempFile, whose SecureRandom keeps /dev/random and /dev/urandom open.
        Kernel.backends();
        try (Kernel k = Kernel.open("select")) {
            Process p = new ProcessBuilder("true").redirectErrorStream(true).start();
            p.getOutputStream().close();
            p.waitFor();
            p.getInputStream().close();
            p.onExit().get();
            ProcessHandle.current().info();
            try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                 SocketChannel c = SocketChannel.open(server.getLocalAddress());
                 SocketChannel s = server.accept()) {
                c.write(ByteBuffer.wrap(new byte[] {1}));
                s.read(ByteBuffer.allocate(1));
            }
            Pipe pipe = Pipe.open();
            pipe.source().close();
            pipe.sink().close();
            // JDK 22+: a virtual thread (a task) blocked in Selector.select parks through the JDK's
            // poller threads, which open their epoll fds on first use. Block one for real, once.
            Thread vt = Thread.ofVirtual().start(() -> {
                try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
                    long t0;
                    do {
                        t0 = System.nanoTime();
                        sel.select(10);
                    } while (System.nanoTime() - t0 < 10_000_000L);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            vt.join();
            Scheduler.run(k, () -> {
                Chan<Integer> c = Chan.rendezvous();
                Task<Void> t = Task.spawn(() -> { c.send(1); return null; });
                c.receive();
                t.join();
                k.wait(List.of(Event.after(Duration.ofMillis(1))), null);
                return null;
            });
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private JdkWarmUp() {}
}
