package io.kwait;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The clock a {@link Kernel} reads for timers and timeouts. {@link #system()} is the real one;
 * {@link #manual()} only moves when a test calls {@link Manual#advance}, so timer tests need no
 * sleeps and give the same result on a loaded machine.
 */
public abstract sealed class TimeSource permits TimeSource.SystemTime, TimeSource.Manual {

    /** Monotonic time in nanoseconds; only differences are meaningful. */
    public abstract long nanoTime();

    /** Wall-clock time, used to place {@link Event#at(Instant)} deadlines on the monotonic scale. */
    public abstract Instant now();

    /** The JVM's clocks: {@link System#nanoTime()} and {@link Instant#now()}. */
    public static TimeSource system() { return SystemTime.INSTANCE; }

    /** A manual clock starting at {@code 2000-01-01T00:00:00Z}, monotonic value 0. */
    public static Manual manual() { return new Manual(Instant.parse("2000-01-01T00:00:00Z")); }

    static final class SystemTime extends TimeSource {
        static final SystemTime INSTANCE = new SystemTime();
        @Override public long nanoTime() { return System.nanoTime(); }
        @Override public Instant now() { return Instant.now(); }
        @Override public String toString() { return "TimeSource.system()"; }
    }

    /**
     * A clock that moves only when told. Kernels reading it wait for {@link #advance} instead of
     * sleeping: a wait whose only deadline lies ahead blocks until the clock is advanced past it
     * (or something else fires). Thread-safe.
     */
    public static final class Manual extends TimeSource {
        private final Instant origin;
        private volatile long nanos;
        private final Object lock = new Object(); // not this: a user's monitor on the clock must not stall advance()
        private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();

        Manual(Instant origin) { this.origin = origin; }

        @Override public long nanoTime() { return nanos; }

        @Override public Instant now() { return origin.plusNanos(nanos); }

        /** The wall-clock time at monotonic value {@code n}: with one read of the clock, both scales agree. */
        Instant instantAt(long n) { return origin.plusNanos(n); }

        /** Moves the clock forward and wakes every kernel that reads it. */
        public void advance(Duration by) {
            if (by.isNegative()) throw new IllegalArgumentException("a clock cannot go back: " + by);
            synchronized (lock) { nanos += by.toNanos(); }
            for (Runnable r : listeners) r.run();
        }

        void addListener(Runnable r) { listeners.add(r); }

        void removeListener(Runnable r) { listeners.remove(r); }

        @Override public String toString() { return "TimeSource.manual() at +" + Duration.ofNanos(nanos); }
    }
}
