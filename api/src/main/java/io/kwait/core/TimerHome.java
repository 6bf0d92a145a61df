package io.kwait.core;

import io.kwait.Event;
import io.kwait.TimeSource;
import java.time.Duration;
import java.time.Instant;

/**
 * The home of timers: the kernel's {@link TimerHeap}, the three timer events ({@code after},
 * {@code at}, {@code every}) and each wait's own timeout, the deadline arithmetic, and the
 * manual-clock rule (with {@link TimeSource.Manual} a poll never sleeps towards a deadline: it
 * blocks until the clock is advanced, whose listener wakes the backend).
 */
public final class TimerHome implements Home {
    /**
     * The longest delay a deadline is placed at (~73 years): every deadline in the heap then lies
     * within a quarter of the long range of every other, so the wrap-safe comparisons
     * ({@code a - b < 0}) stay right even next to an overdue timer. Longer delays mean "never" anyway.
     */
    private static final long MAX_DELAY_NANOS = Long.MAX_VALUE >> 2;

    /** The schedule of a periodic timer, kept by its event across waits; touched only by the owner thread. */
    public static final class Schedule {
        boolean started;
        long nextDue;
    }

    private final TimerHeap heap = new TimerHeap();
    private final TimeSource time;
    private final Runnable clockListener;

    TimerHome(TimeSource time, Runnable wakeup) {
        this.time = time;
        if (time instanceof TimeSource.Manual manual) {
            clockListener = wakeup;
            Access.api().addClockListener(manual, clockListener);
        } else {
            clockListener = null;
        }
    }

    // ---------------------------------------------------------------- validation (Event's factories)

    /** The delay of {@code Event.after} in nanos. */
    public static long delayNanos(Duration delay) {
        if (delay.isNegative()) throw new IllegalArgumentException("negative delay " + delay + "; use Duration.ZERO to fire at once");
        return saturatedNanos(delay);
    }

    /** The period of {@code Event.every} in nanos. */
    public static long periodNanos(Duration period) {
        if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("period must be positive, got " + period);
        return saturatedNanos(period);
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** {@code a + b} for a deadline {@code b} nanos after {@code a}, with {@code b} capped at {@link #MAX_DELAY_NANOS}. */
    static long saturatedAdd(long a, long b) {
        b = Math.min(b, MAX_DELAY_NANOS);
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    // ---------------------------------------------------------------- the loop's use

    /** Runs every timer due now. */
    void runDue() { heap.runDue(time.nanoTime()); }

    /** The poll timeout: the caller's limit ({@code < 0}: none), shortened to the earliest deadline. */
    long pollTimeout(long limit) {
        long next = heap.nextDeadline();
        if (next == Long.MAX_VALUE) return limit;
        long d = Math.max(0, next - time.nanoTime());
        if (clockListener != null && d > 0) return limit; // manual clock: sleep until advanced (the listener wakes us)
        return limit < 0 ? d : Math.min(limit, d);
    }

    /** Ends {@code call} with no result {@code timeout} after its start. */
    void addTimeout(WaitCall call, Duration timeout) {
        TimerHeap.Timer t = heap.add(saturatedAdd(call.start, saturatedNanos(timeout)), call::timedOut);
        call.add(new Subscription(call, -1, this, t, 0));
    }

    // ---------------------------------------------------------------- Home

    @Override
    public void subscribe(WaitCall call, int i, Event e) {
        switch (e.kind()) {
            case TIMER_AFTER -> once(call, i, saturatedAdd(call.start, Access.api().number(e)));
            case TIMER_AT -> once(call, i, deadlineOf((Instant) e.resource()));
            case TIMER_EVERY -> every(call, i, e);
            default -> throw new IllegalArgumentException("not a timer: " + e);
        }
    }

    /**
     * The monotonic deadline of an {@code Event.at} instant. A manual clock is read once and both
     * scales are taken from that one value: reading {@code now()} and {@code nanoTime()} apart lets
     * an {@code advance} from another thread fall between them and push the deadline one advance
     * too far (a wait that then sleeps until the next advance). The system clock has no such
     * jump; its two reads differ by the time between them.
     */
    private long deadlineOf(Instant at) {
        long base = time.nanoTime();
        Instant now = time instanceof TimeSource.Manual manual ? Access.api().instantAt(manual, base) : time.now();
        Duration until = Duration.between(now, at);
        return saturatedAdd(base, until.isNegative() ? 0 : saturatedNanos(until));
    }

    private void once(WaitCall call, int i, long deadline) {
        Event e = call.events[i];
        TimerHeap.Timer t = heap.add(deadline, () -> call.fire(i, Access.api().fired(e, 0, 1, null, null, false)));
        call.add(new Subscription(call, i, this, t, 0));
    }

    /** The ticking of one periodic event in one wait: re-added while another wait consumed its tick. */
    private final class Tick implements Runnable {
        final WaitCall call;
        final int index;
        final long period;
        final Schedule schedule;
        TimerHeap.Timer timer;

        Tick(WaitCall call, int index, long period, Schedule schedule) {
            this.call = call;
            this.index = index;
            this.period = period;
            this.schedule = schedule;
        }

        @Override
        public void run() {
            long now = time.nanoTime();
            if (now - schedule.nextDue < 0) { // another wait on the same event consumed this tick
                timer = heap.add(schedule.nextDue, this);
                return;
            }
            long count = 1 + (now - schedule.nextDue) / period;
            schedule.nextDue = saturatedAdd(schedule.nextDue, count > Long.MAX_VALUE / period ? Long.MAX_VALUE : count * period);
            call.fire(index, Access.api().fired(call.events[index], 0, count, null, null, false));
        }
    }

    private void every(WaitCall call, int i, Event e) {
        Schedule s = Access.api().schedule(e);
        long period = Access.api().number(e);
        if (!s.started) {
            s.started = true;
            s.nextDue = saturatedAdd(time.nanoTime(), period);
        }
        Tick tick = new Tick(call, i, period, s);
        tick.timer = heap.add(s.nextDue, tick);
        call.add(new Subscription(call, i, this, tick, 0));
    }

    @Override
    public void release(Subscription s, boolean abandoned) {
        heap.remove(s.watch instanceof Tick t ? t.timer : (TimerHeap.Timer) s.watch);
    }

    @Override
    public int count() { return heap.size(); }

    @Override
    public void close() {
        heap.clear();
        if (clockListener != null) Access.api().removeClockListener((TimeSource.Manual) time, clockListener);
    }
}
