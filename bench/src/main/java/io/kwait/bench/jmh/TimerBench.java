package io.kwait.bench.jmh;

import io.kwait.Event;
import io.kwait.Kernel;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Scenario 6: schedule then cancel {@code timers} one-shot timers with random delays of 10-60 s
 * (none fires). One operation = the whole bulk; the harness divides by {@code timers}.
 *
 * <p>kwait has no separate timer API: a timer is an {@code Event.after(d)} in a wait. The bulk is
 * one {@code kernel.wait(events, Duration.ZERO)} over all the timer events on a plain thread: it
 * schedules every timer on the kernel's heap, polls once, and on return cancels every timer.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimerBench {

    static long[] delays(int n) {
        SplittableRandom r = new SplittableRandom(42);
        long[] d = new long[n];
        for (int i = 0; i < n; i++) d[i] = r.nextLong(10_000_000_000L, 60_000_000_000L);
        return d;
    }

    @State(Scope.Benchmark)
    public static class KwaitState {
        @Param({"select"})
        public String backend;
        @Param({"1000000"})
        public int timers;
        Kernel kernel;
        List<Event> events;

        @Setup(Level.Trial)
        public void open() {
            kernel = Kernel.open(backend);
            events = new ArrayList<>(timers);
            for (long d : delays(timers)) events.add(Event.after(Duration.ofNanos(d)));
        }

        @TearDown(Level.Trial)
        public void close() {
            kernel.close();
        }
    }

    @Benchmark
    public Object kwait(KwaitState s) throws Exception {
        return s.kernel.wait(s.events, Duration.ZERO);
    }

    @State(Scope.Benchmark)
    public static class PeerState {
        @Param({"1000000"})
        public int timers;
        long[] delays;
        ScheduledThreadPoolExecutor stpe;
        HashedWheelTimer wheel;
        ScheduledFuture<?>[] futures;
        Timeout[] timeouts;

        @Setup(Level.Trial)
        public void setup() {
            delays = delays(timers);
            stpe = new ScheduledThreadPoolExecutor(1);
            stpe.setRemoveOnCancelPolicy(true);
            wheel = new HashedWheelTimer(); // 100 ms x 512
            wheel.start();
            futures = new ScheduledFuture<?>[timers];
            timeouts = new Timeout[timers];
        }

        /** Untimed: lets the wheel's worker drain the cancelled timeouts before the next bulk. */
        @TearDown(Level.Invocation)
        public void drain() throws InterruptedException {
            while (wheel.pendingTimeouts() > 0) Thread.sleep(5);
        }

        @TearDown(Level.Trial)
        public void close() {
            stpe.shutdownNow();
            wheel.stop();
        }
    }

    static final Runnable NOTHING = () -> { };

    /** Peer: ScheduledThreadPoolExecutor with removeOnCancel: schedule all, then cancel all. */
    @Benchmark
    public Object stpe(PeerState s) {
        for (int i = 0; i < s.timers; i++) s.futures[i] = s.stpe.schedule(NOTHING, s.delays[i], TimeUnit.NANOSECONDS);
        for (int i = 0; i < s.timers; i++) s.futures[i].cancel(false);
        return s.futures;
    }

    /** Peer: Netty HashedWheelTimer (default 100 ms x 512): schedule all, then cancel all (caller side). */
    @Benchmark
    public Object wheel(PeerState s) {
        for (int i = 0; i < s.timers; i++) s.timeouts[i] = s.wheel.newTimeout(t -> { }, s.delays[i], TimeUnit.NANOSECONDS);
        for (int i = 0; i < s.timers; i++) s.timeouts[i].cancel();
        return s.timeouts;
    }
}
