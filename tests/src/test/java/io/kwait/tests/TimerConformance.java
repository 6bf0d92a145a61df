package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Task;
import io.kwait.TimeSource;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Timers and timeouts. Most tests run on {@link TimeSource#manual()}: the clock moves only when
 * a test advances it, so the results are exact and independent of machine load. A wait on a
 * manual clock blocks until the clock is advanced; the advancing is done by a second task (a
 * "driver"), which runs only once the waiting task has suspended, so it never races the wait.
 */
@Timeout(15)
public abstract class TimerConformance extends ResourceConformanceSupport {

    private static final List<Fired> NONE = List.of();
    /** Far beyond any nanosecond counter: must saturate, never wrap. */
    private static final Duration HUGE = Duration.ofDays(365L * 1000);
    private static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();

    private TimeSource.Manual clock;

    /** Replaces the test's kernel by one on a manual clock (the base's leak check then covers it). */
    private Kernel manualKernel() {
        clock = TimeSource.manual();
        kernel = openKernel(clock);
        return kernel;
    }

    /** What a test does as the root task on its manual-clock kernel. */
    @FunctionalInterface
    private interface ManualClockBody {
        void run(Kernel k) throws Exception;
    }

    /** Runs {@code body} as the root task on a new kernel on a manual clock ({@link #manualKernel()}). */
    private void onManualClock(ManualClockBody body) throws Exception {
        Kernel k = manualKernel();
        inScheduler(k, () -> {
            body.run(k);
            return null;
        });
    }

    /** Manual-clock time since the clock's origin. */
    private Duration now() {
        return Duration.ofNanos(clock.nanoTime());
    }

    /**
     * From a task: lets the kernel run the timers due now and every task they woke, then returns.
     * A driver calls it between clock steps so that a timer that fires too early is seen to.
     */
    private void settle() throws InterruptedException {
        kernel.wait(List.of(Event.after(Duration.ZERO)), Duration.ZERO);
        Task.yieldNow();
    }

    /** Spawns a driver task that advances the clock by each step in turn, settling in between. */
    private Task<Void> drive(Duration... steps) {
        return Task.spawn(() -> {
            for (int i = 0; i < steps.length; i++) {
                if (i > 0) settle();
                clock.advance(steps[i]);
            }
            return null;
        });
    }

    private void assertNoTimers() {
        assertEquals(0, kernel.stats().timers(), "timers left after the wait: " + kernel.stats());
    }

    // ------------------------------------------------------------------ after

    @Test
    void afterFiresOnceAtItsDeadlineWithCountOne() throws Exception {
        onManualClock(k -> {
            Event e = Event.after(Duration.ofSeconds(10));
            Task<Void> driver = drive(Duration.ofSeconds(9), Duration.ofSeconds(1));
            List<Fired> f = k.wait(List.of(e), null);
            assertEquals(Duration.ofSeconds(10), now(), "fired at the wrong time");
            assertFiredExactly(f, e);
            assertEquals(Filter.EXPIRE, f.get(0).filter());
            assertEquals(1, f.get(0).count());
            assertEquals(1, f.get(0).data());
            assertNoTimers();
            joinTask(driver);
        });
    }

    @Test
    void afterCountsFromTheStartOfEachWait() throws Exception {
        onManualClock(k -> {
            Event idle = Event.after(Duration.ofSeconds(10));
            Task<Void> d1 = drive(Duration.ofSeconds(9), Duration.ofSeconds(1));
            assertFiredExactly(k.wait(List.of(idle), null), idle);
            assertEquals(Duration.ofSeconds(10), now());
            joinTask(d1);

            clock.advance(Duration.ofSeconds(5)); // time passes between waits: it does not count
            Task<Void> d2 = drive(Duration.ofSeconds(9), Duration.ofSeconds(1));
            assertFiredExactly(k.wait(List.of(idle), null), idle);
            assertEquals(Duration.ofSeconds(25), now(), "after(10s) must count from the start of the second wait (15s)");
            joinTask(d2);

            // An idle timeout: something else fires first; the next wait starts the 10 s afresh.
            Instant soon = clock.now().plusSeconds(3);
            Event other = Event.at(soon);
            Task<Void> d3 = drive(Duration.ofSeconds(3));
            assertFiredExactly(k.wait(List.of(idle, other), null), other);
            assertEquals(Duration.ofSeconds(28), now());
            joinTask(d3);
            Task<Void> d4 = drive(Duration.ofSeconds(9), Duration.ofSeconds(1));
            assertFiredExactly(k.wait(List.of(idle), null), idle);
            assertEquals(Duration.ofSeconds(38), now());
            joinTask(d4);
            assertNoTimers();
        });
    }

    @Test
    void afterZeroFiresAtOnce() throws Exception {
        manualKernel();
        Event e = Event.after(Duration.ZERO);
        List<Fired> f = kernel.wait(List.of(e), null); // the manual clock never moves: this must not block
        assertFiredExactly(f, e);
        assertEquals(1, f.get(0).count());
        assertFiredExactly(kernel.wait(List.of(e), Duration.ZERO), e);
        assertNoTimers();
    }

    // ------------------------------------------------------------------ at

    @Test
    void atIsAbsolute() throws Exception {
        onManualClock(k -> {
            Instant deadline = clock.now().plusSeconds(10);
            Event e = Event.at(deadline);
            assertEquals(deadline, e.resource());
            clock.advance(Duration.ofSeconds(4)); // before the wait: at() does not care when the wait starts
            Task<Void> driver = drive(Duration.ofSeconds(5), Duration.ofSeconds(1));
            List<Fired> f = k.wait(List.of(e), null);
            assertEquals(Duration.ofSeconds(10), now(), "at() fired at the wrong time");
            assertFiredExactly(f, e);
            assertEquals(1, f.get(0).count());
            assertNoTimers();
            joinTask(driver);
        });
    }

    @Test
    void atInThePastFiresAtOnce() throws Exception {
        manualKernel();
        Event past = Event.at(clock.now().minusSeconds(1));
        Event nowish = Event.at(clock.now());
        Event ancient = Event.at(Instant.MIN);
        assertFiredExactly(kernel.wait(List.of(past), null), past);
        assertFiredExactly(kernel.wait(List.of(past, nowish, ancient), Duration.ZERO), past, nowish, ancient);
        assertNoTimers();
    }

    // ------------------------------------------------------------------ every

    @Test
    void everyKeepsItsScheduleAcrossWaitsAndCountsMissedPeriods() throws Exception {
        manualKernel();
        Event tick = Event.every(Duration.ofSeconds(1));
        List<Event> events = List.of(tick);
        assertEquals(Duration.ofSeconds(1), tick.duration());

        assertEquals(NONE, kernel.wait(events, Duration.ZERO)); // starts the schedule: first due at 1 s
        clock.advance(Duration.ofMillis(999));
        assertEquals(NONE, kernel.wait(events, Duration.ZERO));
        clock.advance(Duration.ofMillis(1));
        List<Fired> f = kernel.wait(events, Duration.ZERO);
        assertFiredExactly(f, tick);
        assertEquals(1, f.get(0).count());
        assertEquals(NONE, kernel.wait(events, Duration.ZERO), "fired once per period");

        clock.advance(Duration.ofMillis(3500)); // a slow loop: 3.5 periods without a wait, now at 4.5 s
        f = kernel.wait(events, Duration.ZERO);
        assertFiredExactly(f, tick);
        assertEquals(3, f.get(0).count(), "periods passed since it last fired (due at 2, 3 and 4 s)");
        assertEquals(3, f.get(0).data());
        assertEquals(NONE, kernel.wait(events, Duration.ZERO));

        clock.advance(Duration.ofMillis(499)); // the schedule is kept: next due at 5 s, half a period on
        assertEquals(NONE, kernel.wait(events, Duration.ZERO));
        clock.advance(Duration.ofMillis(1));
        f = kernel.wait(events, Duration.ZERO);
        assertFiredExactly(f, tick);
        assertEquals(1, f.get(0).count());
        assertNoTimers();
    }

    @Test
    void everyWakesABlockedWaitOncePerPeriod() throws Exception {
        onManualClock(k -> {
            Event tick = Event.every(Duration.ofSeconds(2));
            Task<Void> driver = drive(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                    Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
            List<Duration> at = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                List<Fired> f = k.wait(List.of(tick), null);
                assertFiredExactly(f, tick);
                assertEquals(1, f.get(0).count());
                at.add(now());
                assertNoTimers();
            }
            assertEquals(List.of(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(6)), at);
            joinTask(driver);
        });
    }

    @Test
    void timerArgumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> Event.after(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> Event.every(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Event.every(Duration.ofSeconds(-1)));
        assertThrows(NullPointerException.class, () -> Event.after(null));
        assertThrows(NullPointerException.class, () -> Event.at(null));
        assertThrows(NullPointerException.class, () -> Event.every(null));
    }

    // ------------------------------------------------------------------ timeouts

    @Test
    void zeroTimeoutPollsAndReturnsEmpty() throws Exception {
        manualKernel();
        Pipe p = pipe();
        Event r = Event.readable(p.source());
        List<Fired> f = kernel.wait(List.of(Event.after(Duration.ofNanos(1)), r, Event.every(Duration.ofNanos(1))), Duration.ZERO);
        assertEquals(NONE, f, "nothing is due and nothing is readable");
        assertNoTimers();
        write(p.sink(), 1);
        assertFiredExactly(kernel.wait(List.of(Event.after(Duration.ofNanos(1)), r), Duration.ZERO), r);
        assertNoTimers();
    }

    @Test
    void timeoutReturnsAnEmptyList() throws Exception {
        onManualClock(k -> {
            Event e = Event.after(Duration.ofSeconds(10));
            Task<Void> driver = drive(Duration.ofSeconds(4), Duration.ofSeconds(1));
            List<Fired> f = k.wait(List.of(e), Duration.ofSeconds(5));
            assertEquals(NONE, f);
            assertEquals(Duration.ofSeconds(5), now(), "timed out at the wrong time");
            assertNoTimers();
            joinTask(driver);

            // An event due exactly at the timeout is reported, not dropped.
            Event same = Event.after(Duration.ofSeconds(5));
            Task<Void> d2 = drive(Duration.ofSeconds(5));
            assertFiredExactly(k.wait(List.of(same), Duration.ofSeconds(5)), same);
            joinTask(d2);
            assertNoTimers();
        });
    }

    @Test
    void nullTimeoutMeansNoLimit() throws Exception {
        onManualClock(k -> {
            Event e = Event.after(Duration.ofDays(10));
            Task<Void> driver = drive(Duration.ofDays(9), Duration.ofHours(23), Duration.ofHours(1));
            List<Fired> f = k.wait(List.of(e), null);
            assertFiredExactly(f, e);
            assertEquals(Duration.ofDays(10), now());
            joinTask(driver);
        });
    }

    @Test
    void negativeTimeoutIsRefused() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kernel.wait(List.of(Event.after(Duration.ZERO)), Duration.ofNanos(-1)));
        assertTrue(e.getMessage().contains("Duration.ZERO"), e.getMessage());
        assertTrue(kernel.stats().isEmpty(), kernel.stats().toString());
    }

    // ------------------------------------------------------------------ huge values

    @Test
    void hugeDurationsSaturateInsteadOfOverflowing() throws Exception {
        manualKernel();
        clock.advance(Duration.ofDays(1)); // a clock that is not at 0
        assertTrue(Event.after(HUGE).duration().compareTo(Duration.ofDays(365L * 200)) > 0, "after(HUGE) must not wrap");
        assertTrue(Event.every(HUGE).duration().compareTo(Duration.ofDays(365L * 200)) > 0, "every(HUGE) must not wrap");
        List<Event> far = List.of(Event.after(HUGE), Event.every(HUGE), Event.at(Instant.MAX), Event.after(FOREVER));
        assertEquals(NONE, kernel.wait(far, Duration.ZERO), "none of these is due");
        assertNoTimers();
        Event now = Event.after(Duration.ZERO);
        assertFiredExactly(kernel.wait(List.of(now), FOREVER), now); // a huge timeout is just a long one
        assertFiredExactly(kernel.wait(List.of(now), HUGE), now);
    }

    @Test
    void hugeTimersDoNotHideTimersThatAreDue() throws Exception {
        onManualClock(k -> {
            Event soon = Event.after(Duration.ofSeconds(1));
            // The driver moves past the deadline of 'soon', then itself waits on far-away timers
            // (and a huge timeout) before the kernel has run the timer that is due.
            Task<Void> driver = Task.spawn(() -> {
                clock.advance(Duration.ofSeconds(5));
                k.wait(List.of(Event.after(HUGE), Event.after(FOREVER), Event.every(HUGE), Event.at(Instant.MAX)), FOREVER);
                return null;
            });
            List<Fired> f = k.wait(List.of(soon), null);
            assertFiredExactly(f, soon);
            assertEquals(Duration.ofSeconds(5), now());
            driver.cancel();
        });
        assertNoTimers();
    }

    @Test
    void hugeDurationsOnTheRealClock() throws Exception {
        Pipe p = pipe();
        long t0 = System.nanoTime();
        assertEquals(NONE, kernel.wait(List.of(Event.after(HUGE), Event.readable(p.source()), Event.after(FOREVER)), Duration.ofMillis(20)));
        assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(20).toNanos());
        Event zero = Event.after(Duration.ZERO);
        assertFiredExactly(kernel.wait(List.of(Event.after(HUGE), zero, Event.at(Instant.MAX)), FOREVER), zero);
        write(p.sink(), 1);
        Event r = Event.readable(p.source());
        assertFiredExactly(kernel.wait(List.of(Event.every(HUGE), r), HUGE), r);
        assertNoTimers();
    }

    // ------------------------------------------------------------------ cleanup

    @Test
    void timersAreRemovedWhenTheWaitEnds() throws Exception {
        manualKernel();
        Pipe p = pipe();
        write(p.sink(), 1);
        Event r = Event.readable(p.source());
        List<Event> events = List.of(Event.after(Duration.ofHours(1)), Event.at(clock.now().plusSeconds(3600)),
                Event.every(Duration.ofHours(1)), r);
        for (int i = 0; i < 100; i++) {
            assertFiredExactly(kernel.wait(events, Duration.ofHours(2)), r);
            assertNoTimers();
        }
        assertEquals(1, kernel.stats().fdRegistrations());
    }

    // ------------------------------------------------------------------ the real clock

    @Test
    void afterFiresOnTheRealClock() throws Exception {
        Event e = Event.after(Duration.ofMillis(20));
        long t0 = System.nanoTime();
        List<Fired> f = kernel.wait(List.of(e), null);
        long elapsed = System.nanoTime() - t0;
        assertFiredExactly(f, e);
        assertEquals(1, f.get(0).count());
        assertTrue(elapsed >= Duration.ofMillis(20).toNanos(), "fired early, after " + Duration.ofNanos(elapsed));
        assertNoTimers();
    }

    @Test
    void timeoutOnTheRealClock() throws Exception {
        Pipe p = pipe();
        long t0 = System.nanoTime();
        List<Fired> f = kernel.wait(List.of(Event.readable(p.source())), Duration.ofMillis(20));
        long elapsed = System.nanoTime() - t0;
        assertEquals(NONE, f);
        assertTrue(elapsed >= Duration.ofMillis(20).toNanos(), "timed out early, after " + Duration.ofNanos(elapsed));
        assertNoTimers();
    }

    @Test
    void everyOnTheRealClockNeverLosesTicks() throws Exception {
        Event tick = Event.every(Duration.ofMillis(5));
        long t0 = System.nanoTime();
        long total = 0;
        for (int i = 0; i < 3; i++) {
            List<Fired> f = kernel.wait(List.of(tick), null);
            assertFiredExactly(f, tick);
            assertTrue(f.get(0).count() >= 1);
            total += f.get(0).count();
        }
        long elapsed = System.nanoTime() - t0;
        assertTrue(elapsed >= Duration.ofMillis(15).toNanos(), "three ticks of 5 ms took " + Duration.ofNanos(elapsed));
        // Every period that passed is reported exactly once: the count matches the time spent (+/- one period).
        long periods = elapsed / Duration.ofMillis(5).toNanos();
        assertTrue(total <= periods + 1, total + " ticks in " + periods + " periods");
        assertNoTimers();
    }
}
