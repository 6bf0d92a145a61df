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
