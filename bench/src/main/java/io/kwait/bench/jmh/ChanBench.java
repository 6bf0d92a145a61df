package io.kwait.bench.jmh;

import io.kwait.Chan;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Scenario 2: channel ping-pong between two tasks (or threads). One round trip: A sends on ping,
 * B receives and sends on pong, A receives. ns per round trip; a batch per invocation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChanBench {
    static final int N = 50_000;
    static final int N_PLATFORM = 5_000;
    static final Object TOKEN = "token";

    @State(Scope.Benchmark)
    public static class KwaitState extends KernelState {
        @Param({"rendezvous", "bounded1"})
        public String chan;

        Chan<Object> make() {
            return chan.equals("rendezvous") ? Chan.rendezvous() : Chan.bounded(1);
        }
    }

    /** kwait: two tasks of one scheduler, ping-pong over two Chans. */
    @Benchmark
    @OperationsPerInvocation(N)
    public void kwait(KwaitState s) throws Exception {
        Scheduler.run(s.kernel, () -> {
            Chan<Object> ping = s.make(), pong = s.make();
            Task<Void> partner = Task.spawn(() -> {
                for (int i = 0; i < N; i++) pong.send(ping.receive());
                return null;
            });
            for (int i = 0; i < N; i++) {
                ping.send(TOKEN);
                pong.receive();
            }
            partner.join();
            return null;
        });
    }

    static void queues(Thread.Builder builder, Supplier<BlockingQueue<Object>> make, int n) throws Exception {
        BlockingQueue<Object> ping = make.get(), pong = make.get();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread b = builder.start(() -> {
            try {
                for (int i = 0; i < n; i++) pong.put(ping.take());
            } catch (InterruptedException e) {
                failure.set(e);
            }
        });
        Thread a = builder.start(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    ping.put(TOKEN);
                    pong.take();
                }
            } catch (InterruptedException e) {
                failure.set(e);
            }
        });
        a.join();
        b.join();
        if (failure.get() != null) throw failure.get();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void virtualSynchronousQueue() throws Exception {
        queues(Thread.ofVirtual(), SynchronousQueue::new, N);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void virtualArrayBlockingQueue() throws Exception {
        queues(Thread.ofVirtual(), () -> new ArrayBlockingQueue<>(1), N);
    }

    @Benchmark
    @OperationsPerInvocation(N_PLATFORM)
    public void platformSynchronousQueue() throws Exception {
        queues(Thread.ofPlatform(), SynchronousQueue::new, N_PLATFORM);
    }

    @Benchmark
    @OperationsPerInvocation(N_PLATFORM)
    public void platformArrayBlockingQueue() throws Exception {
        queues(Thread.ofPlatform(), () -> new ArrayBlockingQueue<>(1), N_PLATFORM);
    }
}
