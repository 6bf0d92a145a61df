package io.kwait.bench.jmh;

import io.kwait.Scheduler;
import io.kwait.Task;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Scenario 1: task switch. Every figure is ns per round trip (A hands control to B, B hands it
 * back). Threaded figures run a batch of round trips per invocation, including the start of their
 * two threads or tasks (amortised over the batch).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SwitchBench {
    static final int N = 50_000;
    static final int N_PLATFORM = 2_000;

    /** kwait: two tasks of one scheduler calling Task.yieldNow() alternately. */
    @Benchmark
    @OperationsPerInvocation(N)
    public void kwaitYield(KernelState s) throws Exception {
        Scheduler.run(s.kernel, () -> {
            Task<Void> partner = Task.spawn(() -> {
                for (int i = 0; i < N; i++) Task.yieldNow();
                return null;
            });
            for (int i = 0; i < N; i++) Task.yieldNow();
            partner.join();
            return null;
        });
    }

    static final class Baton {
        volatile int turn; // 0: A runs, 1: B runs
        volatile Thread a;
    }

    static void baton(Thread.Builder builder, int n) throws InterruptedException {
        Baton baton = new Baton();
        Thread b = builder.unstarted(() -> {
            for (int i = 0; i < n; i++) {
                while (baton.turn != 1) LockSupport.park();
                baton.turn = 0;
                LockSupport.unpark(baton.a);
            }
        });
        Thread a = builder.unstarted(() -> {
            for (int i = 0; i < n; i++) {
                baton.turn = 1;
                LockSupport.unpark(b);
                while (baton.turn != 0) LockSupport.park();
            }
        });
        baton.a = a;
        b.start();
        a.start();
        a.join();
        b.join();
    }

    /** Peer: two virtual threads handing a baton with park/unpark, default scheduler settings. */
    @Benchmark
    @OperationsPerInvocation(N)
    public void virtualBaton() throws Exception {
        baton(Thread.ofVirtual(), N);
    }

    /** Peer: two platform threads handing a baton with park/unpark. */
    @Benchmark
    @OperationsPerInvocation(N_PLATFORM)
    public void platformBaton() throws Exception {
        baton(Thread.ofPlatform(), N_PLATFORM);
    }

    @State(Scope.Thread)
    public static class ContState {
        Object scope;
        Object cont;

        @Setup(Level.Trial)
        public void setup() throws Throwable {
            if (Conts.UNAVAILABLE != null) throw new IllegalStateException(Conts.unavailableReason());
            Object sc = Conts.NEW_SCOPE.invokeExact("bench");
            scope = sc;
            cont = Conts.NEW_CONT.invokeExact(sc, (Runnable) () -> {
                try {
                    while (true) {
                        boolean ignored = (boolean) Conts.YIELD.invokeExact(sc);
                    }
                } catch (Throwable e) {
                    throw new RuntimeException(e);
                }
            });
        }
    }

    /** The floor: jdk.internal.vm.Continuation run() then yield() back (one round trip). */
    @Benchmark
    public void continuation(ContState s) throws Throwable {
        Conts.RUN.invokeExact(s.cont);
    }
}
