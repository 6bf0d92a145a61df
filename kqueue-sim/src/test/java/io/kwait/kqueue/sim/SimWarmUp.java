package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueueBackend;
import io.kwait.nativeio.kqueue.KqueuePlatform;
import io.kwait.testkit.Reports;
import io.kwait.testkit.TestSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;

/**
 * The JDK and JNR open some fds once per JVM and keep them (jar files of classes loaded on first
 * use, a selector's helpers). Touching each path the tests take once before the first fd count
 * keeps the per-test leak check exact.
 */
final class SimWarmUp {
    private static boolean done;

    static synchronized void run() {
        if (done) return;
        done = true;
        for (KqueuePlatform p : new KqueuePlatform[] {KqueuePlatform.MACOS, KqueuePlatform.FREEBSD_12}) {
            SimulatedKqueue sim = new SimulatedKqueue(p);
            try (KqueueBackend b = new KqueueBackend("warm-up", sim, false);
                 KqueueBackend piped = new KqueueBackend("warm-up", sim, true)) {
                Pipe pipe = Pipe.open();
                pipe.source().configureBlocking(false);
                pipe.sink().configureBlocking(false);
                TestSource s = new TestSource(pipe.source());
                b.register(s, io.kwait.spi.Interest.READ);
                b.poll(1_000_000L, new Reports());
                pipe.sink().write(ByteBuffer.allocate(1));
                b.poll(-1, new Reports());
                b.wakeup();
                b.poll(-1, new Reports());
                piped.wakeup();
                piped.poll(-1, new Reports());
                // Tests park virtual threads in JDK Selectors, which park through the JDK's virtual-thread
                // pollers: they open their fds at first use and keep them, one set per carrier on recent
                // JDKs. So block more virtual threads at once than there are carriers.
                java.util.List<Thread> vts = new java.util.ArrayList<>();
                for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors() + 2; i++) {
                    vts.add(Thread.ofVirtual().start(() -> {
                        try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
                            for (long end = System.nanoTime() + 50_000_000L; System.nanoTime() < end; ) sel.select(10);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }));
                }
                for (Thread vt : vts) vt.join();
                Thread vt = Thread.ofVirtual().start(() -> {
                    try {
                        b.poll(1_000_000L, new Reports());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                vt.join();
                Process child = new ProcessBuilder("true").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                child.getOutputStream().close();
                b.register(new TestSource(io.kwait.spi.Source.Kind.PROCESS, child.pid()), io.kwait.spi.Interest.EXIT);
                child.waitFor();
                b.poll(100_000_000L, new Reports());
                ProcessHandle.current().info();
                b.deregister(s);
                pipe.source().close();
                pipe.sink().close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private SimWarmUp() {}
}
