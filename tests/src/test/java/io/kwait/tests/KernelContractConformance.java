package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.ClosedKernelException;
import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.TimeSource;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link Kernel#wait} itself: bad arguments, who may wait, interruption, closing,
 * backend choice, and {@link CompletionStage}s as events. Where a test needs another thread to be
 * inside {@code wait}, it finds out by the kernel refusing a second waiter, never by sleeping.
 */
@Timeout(20)
public abstract class KernelContractConformance extends ResourceConformanceSupport {

    private static final List<Fired> NONE = List.of();

    // ------------------------------------------------------------------ bad arguments

    @Test
    void nullListIsRefused() {
        assertThrows(NullPointerException.class, () -> kernel.wait(null, null));
        assertThrows(NullPointerException.class, () -> kernel.wait(null, Duration.ZERO));
    }

    @Test
    void emptyListIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kernel.wait(List.of(), null));
        assertTrue(e.getMessage().contains("Event"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> kernel.wait(new ArrayList<Event>(), Duration.ZERO));
    }

    @Test
    void nullInTheListIsRefusedByIndex() {
        List<Event> withNull = Arrays.asList(Event.after(Duration.ZERO), null, Event.after(Duration.ZERO));
        NullPointerException e = assertThrows(NullPointerException.class, () -> kernel.wait(withNull, null));
        assertTrue(e.getMessage() != null && e.getMessage().contains("[1]"), "the message names index 1: " + e.getMessage());
        assertTrue(kernel.stats().isEmpty(), kernel.stats().toString());
    }

    @Test
    void negativeTimeoutIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kernel.wait(List.of(Event.after(Duration.ZERO)), Duration.ofMillis(-1)));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    @Test
    void aFailedCallLeavesNothingRegistered() throws Exception {
        Pipe ok = pipe();
        write(ok.sink(), 1);
        Pipe blocking = Pipe.open();
        closeLater(blocking.source());
        closeLater(blocking.sink());
        CompletableFuture<String> pending = new CompletableFuture<>();
        List<Event> events = List.of(Event.readable(ok.source()), Event.after(Duration.ofHours(1)),
                Event.every(Duration.ofHours(1)), Event.done(pending), Event.readable(blocking.source()));
        assertThrows(IllegalArgumentException.class, () -> kernel.wait(events, null));
        Kernel.Stats s = kernel.stats();
        assertTrue(s.isEmpty(), "a call that throws leaves nothing registered: " + s);
        // The same events minus the bad one work, and the good ones fire.
        assertFiredExactly(kernel.wait(events.subList(0, 4), null), events.get(0));
    }

    // ------------------------------------------------------------------ closed

    @Test
    void aClosedKernelRefusesWaits() throws Exception {
        assertFalse(kernel.isClosed());
        kernel.close();
        assertTrue(kernel.isClosed());
        kernel.close(); // idempotent
        ClosedKernelException e = assertThrows(ClosedKernelException.class,
                () -> kernel.wait(List.of(Event.after(Duration.ZERO)), null));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(ClosedKernelException.class, () -> kernel.wait(List.of(Event.after(Duration.ZERO)), Duration.ZERO));
        assertThrows(ClosedKernelException.class, () -> Scheduler.run(kernel, () -> null));
        assertTrue(kernel.stats().isEmpty());
    }

    @Test
    void closeFromAnotherThreadEndsAPlainThreadsWait() throws Exception {
        Pipe p = pipe();
        Event r = Event.readable(p.source());
        Outcome<List<Fired>> waiter = onThread("waiter", () -> waitRetrying(kernel, List.of(r), null));
        awaitOtherWaiter(kernel);
        kernel.close();
        Throwable t = waiter.failure();
        assertInstanceOf(ClosedKernelException.class, t, "the wait must end with ClosedKernelException, got " + t);
        assertTrue(kernel.stats().isEmpty(), kernel.stats().toString());
    }

    // ------------------------------------------------------------------ who may wait

    @Test
    void aSecondThreadIsRefusedWhileOneWaits() throws Exception {
        Pipe p = pipe();
        Event r = Event.readable(p.source());
        Outcome<List<Fired>> first = onThread("first waiter", () -> waitRetrying(kernel, List.of(r), null));

        // Our own wait is refused exactly while the other thread is inside its wait.
        IllegalStateException refused = null;
        while (refused == null) {
            try {
                kernel.wait(List.of(Event.after(Duration.ofDays(1))), Duration.ZERO);
                Thread.onSpinWait();
            } catch (IllegalStateException e) {
                refused = e;
            }
        }
        assertTrue(refused.getMessage().contains("first waiter"), "the message names the waiting thread: " + refused.getMessage());
        assertFalse(refused instanceof ClosedKernelException);

        write(p.sink(), 1);
        List<Fired> f = first.get();
        assertFiredExactly(f, r);
        // Once it has left, this thread may wait.
        assertFiredExactly(kernel.wait(List.of(r), null), r);
    }

    @Test
    void aTaskOfAnotherKernelsSchedulerIsRefused() throws Exception {
        Kernel other = openKernel(TimeSource.system());
        IllegalStateException e = inScheduler(other, () ->
                assertThrows(IllegalStateException.class, () -> kernel.wait(List.of(Event.after(Duration.ZERO)), null)));
        assertTrue(e.getMessage().contains("another kernel"), e.getMessage());
        assertTrue(kernel.stats().isEmpty(), kernel.stats().toString());
        assertTrue(other.stats().isEmpty(), other.stats().toString());
    }

    @Test
    void aPlainThreadIsRefusedWhileASchedulerRuns() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<String> release = new CompletableFuture<>();
        Outcome<Object> sched = onThread("scheduler", () -> inScheduler(kernel, () -> {
            running.countDown();
            List<Fired> f = kernel.wait(List.of(Event.done(release)), null);
            return f.get(0).result();
        }));
        running.await();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> kernel.wait(List.of(Event.after(Duration.ZERO)), Duration.ZERO));
        assertTrue(e.getMessage().contains("Scheduler"), e.getMessage());
        release.complete("done");
        assertEquals("done", sched.get());
    }

    // ------------------------------------------------------------------ interruption

    @Test
    void anInterruptedThreadLeavesTheWaitAndLeavesNothingBehind() throws Exception {
        Pipe p = pipe();
        Event r = Event.readable(p.source());
        List<Event> events = List.of(r, Event.after(Duration.ofHours(1)), Event.every(Duration.ofHours(1)));
        Outcome<Boolean> waiter = onThread("interrupted waiter", () -> {
            try {
                waitRetrying(kernel, events, null);
                return Boolean.FALSE;
            } catch (InterruptedException expected) {
                assertFalse(Thread.currentThread().isInterrupted(), "InterruptedException clears the flag");
                return Boolean.TRUE;
            }
        });
        awaitOtherWaiter(kernel);
        waiter.thread.interrupt();
        assertEquals(Boolean.TRUE, waiter.get(), "the wait must end with InterruptedException");

        Kernel.Stats s = kernel.stats();
        assertEquals(0, s.timers(), s.toString());
        assertEquals(0, s.stageWatches(), s.toString());
        assertEquals(0, s.processWatches(), s.toString());
        assertTrue(s.fdRegistrations() <= 1, "at most the reusable registration of the pipe: " + s);
        // The kernel still works, from this thread.
        write(p.sink(), 1);
        assertFiredExactly(kernel.wait(events, null), r);
    }

    @Test
    void aThreadInterruptedBeforeTheWaitLeavesAtOnce() throws Exception {
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedException.class, () -> kernel.wait(List.of(Event.after(Duration.ofHours(1))), null));
        } finally {
            Thread.interrupted();
        }
        assertEquals(0, kernel.stats().timers());
    }

    // ------------------------------------------------------------------ backends

    @Test
    void backendsAreChosenByName() {
        assertEquals(backend(), kernel.backendName());
        assertTrue(Kernel.backends().stream().anyMatch(b -> b.name().equals(backend()) && b.available()),
                "installed: " + Kernel.backends());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernel.open("nope"));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        assertTrue(e.getMessage().contains(backend()), "the message lists the installed backends: " + e.getMessage());
    }

    // ------------------------------------------------------------------ completion stages

    @Test
    void aStageCompletedFromAnotherThreadWakesAPlainThreadsWait() throws Exception {
        CompletableFuture<String> cf = new CompletableFuture<>();
        Event done = Event.done(cf);
        assertEquals(NONE, kernel.wait(List.of(done), Duration.ZERO));
        Outcome<Boolean> completer = onThread("completer", () -> {
            awaitOtherWaiter(kernel);
            return cf.complete("value");
        });
        List<Fired> f = waitRetrying(kernel, List.of(done), null);
        assertEquals(Boolean.TRUE, completer.get());
        assertFiredExactly(f, done);
        assertEquals(Filter.DONE, f.get(0).filter());
        assertFalse(f.get(0).isError());
        assertEquals("value", f.get(0).<String>result());
        assertNull(f.get(0).error());
        assertEquals(0, kernel.stats().stageWatches(), kernel.stats().toString());
    }

    @Test
    void aFailedStageFiresAsErrorWithItsCause() throws Exception {
        CompletableFuture<String> cf = new CompletableFuture<>();
        CompletionStage<String> dependent = cf.thenApply(s -> s + "!");
        IOException cause = new IOException("boom");
        cf.completeExceptionally(cause);
        Event direct = Event.done(cf);
        Event derived = Event.done(dependent);
        List<Fired> f = kernel.wait(List.of(direct, derived), null);
        assertFiredExactly(f, direct, derived);
        for (Fired x : f) {
            assertTrue(x.isError(), x.toString());
            assertSame(cause, x.error(), "error() is the cause, not a CompletionException: " + x.error());
            assertNull(x.result());
        }
        assertEquals(0, kernel.stats().stageWatches());
    }

    @Test
    void anAlreadyCompletedStageFiresAtOnce() throws Exception {
        Event done = Event.done(CompletableFuture.completedFuture(42));
        List<Fired> f = kernel.wait(List.of(done), Duration.ZERO);
        assertFiredExactly(f, done);
        assertEquals(42, f.get(0).<Integer>result());
        Event failed = Event.done(CompletableFuture.failedFuture(new IllegalStateException("no")));
        f = kernel.wait(List.of(failed, done), null);
        assertFiredExactly(f, failed, done);
        assertInstanceOf(IllegalStateException.class, f.get(0).error());
        assertEquals(0, kernel.stats().stageWatches());
    }

    @Test
    void repeatedWaitsOnAPendingStageKeepOneWatch() throws Exception {
        CompletableFuture<String> cf = new CompletableFuture<>();
        Event done = Event.done(cf);
        for (int i = 0; i < 100; i++) {
            assertEquals(NONE, kernel.wait(List.of(done), Duration.ZERO));
            assertEquals(1, kernel.stats().stageWatches(), "wait #" + i + ": " + kernel.stats());
        }
        cf.complete("x");
        assertFiredExactly(kernel.wait(List.of(done), null), done);
        assertEquals(0, kernel.stats().stageWatches());
    }

    // ------------------------------------------------------------------ issue 9: abandoned waits

    /** Issue 9, defect 10: a cancelled wait on a pending stage leaves no stage watch behind. */
    @Test
    void aCancelledWaitOnAPendingStageLeavesNoWatch() throws Exception {
        CompletableFuture<String> cf = new CompletableFuture<>();
        assertCancelledWaitLeavesNoWatch(Event.done(cf), Kernel.Stats::stageWatches);
    }

    /** Issue 9, defect 10: an interrupted plain thread's wait on a pending stage leaves no watch. */
    @Test
    void anInterruptedWaitOnAPendingStageLeavesNoWatch() throws Exception {
        CompletableFuture<String> cf = new CompletableFuture<>();
        assertInterruptedWaitLeavesNoWatch(Event.done(cf), Kernel.Stats::stageWatches);
    }
}
