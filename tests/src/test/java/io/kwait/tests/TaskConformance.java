package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Chan;
import io.kwait.ChanClosedException;
import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.TaskCancelledException;
import io.kwait.TaskScope;
import io.kwait.TimeSource;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cooperative scheduler and its tasks: values and failures, joins and DONE events, run order,
 * sleeping, cancellation, spawning from other threads, unobserved failures, scopes, and footprint.
 */
public abstract class TaskConformance extends ConformanceBase {

    /** A failure thrown by test tasks, compared by identity. */
    static final class Boom extends RuntimeException {
        Boom(String m) { super(m); }
    }

    // ---------------------------------------------------------------- values and failures

    @Test
    void runReturnsTheRootValue() throws Exception {
        assertEquals(42, Scheduler.run(kernel, () -> 42));
        assertNull(Scheduler.run(kernel, () -> null), "a kernel can run a second scheduler after the first ended");
    }

    @Test
    void rootExceptionIsAnExecutionExceptionWithTheCause() {
        Boom boom = new Boom("root");
        ExecutionException e = assertThrows(ExecutionException.class, () -> Scheduler.run(kernel, () -> { throw boom; }));
        assertSame(boom, e.getCause());
    }

    @Test
    void spawnAndJoinGiveTheValue() throws Exception {
        String v = Run.root(kernel, () -> {
            Task<String> a = Task.spawn("a", () -> "A");
            Task<Integer> b = Task.spawn(() -> 7);
            assertFalse(a.isDone(), "a spawned task does not run before the spawner waits");
            String r = a.join() + b.join();
            assertTrue(a.isDone() && !a.isCancelled());
            assertEquals("A", a.resultNow());
            assertNull(a.failure());
            assertEquals("a", a.name());
            assertSame(Scheduler.current(), a.scheduler());
            return r;
        });
        assertEquals("A7", v);
    }

    @Test
    void joinOfAFailedTaskThrowsTheExactException() throws Exception {
        Run.root(kernel, () -> {
            Boom boom = new Boom("child");
            Task<String> t = Task.spawn(() -> { throw boom; });
            ExecutionException e = assertThrows(ExecutionException.class, t::join);
            assertSame(boom, e.getCause());
            // a second join says the same
            assertSame(boom, assertThrows(ExecutionException.class, t::join).getCause());
            assertSame(boom, t.failure());
            assertFalse(t.isCancelled());
            assertThrows(IllegalStateException.class, t::resultNow);
            return null;
        });
    }

    @Test
    void doneEventCarriesTheResultOrTheError() throws Exception {
        Run.root(kernel, () -> {
            Task<String> ok = Task.spawn(() -> { Task.yieldNow(); return "fine"; });
            Event e = Event.done(ok);
            assertEquals(Filter.DONE, e.filter());
            Fired f = waitOne(e);
            assertFalse(f.isError());
            assertNull(f.error());
            String r = f.result();
            assertEquals("fine", r);

            Boom boom = new Boom("done-event");
            Task<String> bad = Task.spawn(() -> { Task.yieldNow(); throw boom; });
            Event be = Event.done(bad).withAttachment("att");
            Fired bf = kernel.wait(List.of(be), null).get(0);
            assertSame(be, bf.event());
            assertEquals("att", bf.attachment());
            assertTrue(bf.isError());
            assertSame(boom, bf.error());
            assertNull(bf.result());
            return null;
        });
    }

    @Test
    void aPlainThreadWaitsOnAnotherKernelForATasksDoneEvent() throws Exception {
        Kernel threadKernel = openKernel(TimeSource.system());
        AtomicReference<Object> outcome = new AtomicReference<>();
        CountDownLatch spawned = new CountDownLatch(1);
        AtomicReference<Task<String>> task = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                spawned.await();
                Event done = Event.done(task.get());
                List<Fired> fired = threadKernel.wait(List.of(done, Event.after(Duration.ofHours(1))), null);
                outcome.set(fired.size() == 1 && fired.get(0).event() == done ? fired.get(0).result() : fired);
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        waiter.start();
        Run.root(kernel, () -> {
            Chan<String> gate = Chan.rendezvous();
            task.set(Task.spawn(() -> gate.receive() + "!"));
            spawned.countDown();
            gate.send("released"); // the waiter thread may or may not be waiting yet: both must work
            return task.get().join();
        });
        waiter.join();
        assertEquals("released!", outcome.get());
    }

    @Test
    void aTaskAlreadyDoneFiresAtOnce() throws Exception {
        Run.root(kernel, () -> {
            Task<Integer> t = Task.spawn(() -> 5);
            assertEquals(5, t.join());
            Event e = Event.done(t);
            List<Fired> now = kernel.wait(List.of(e), Duration.ZERO);
            assertEquals(1, now.size(), "a done task fires even on a zero-timeout poll");
            assertEquals(5, (Integer) now.get(0).result());
            // and again: an event in the fired state fires on every wait
            assertEquals(1, kernel.wait(List.of(e, Event.after(Duration.ofHours(1))), null).size());
            assertEquals(0, kernel.stats().timers());
            return null;
        });
    }

    // ---------------------------------------------------------------- order

    private List<String> orderRun() throws Exception {
        List<String> log = new ArrayList<>(); // shared without locks: one task runs at a time
        Run.root(kernel, () -> {
            log.add("root-start");
            Task<Void> a = Task.spawn(() -> { log.add("a1"); Task.yieldNow(); log.add("a2"); Task.yieldNow(); log.add("a3"); return null; });
            Task<Void> b = Task.spawn(() -> { log.add("b1"); Task.yieldNow(); log.add("b2"); return null; });
            Task<Void> c = Task.spawn(() -> { log.add("c1"); return null; });
            log.add("root-spawned");
            a.join();
            log.add("root-joined-a");
            b.join();
            c.join();
            log.add("root-end");
            return null;
        });
        return log;
    }

    @Test
    void runOrderIsFifoAndDeterministic() throws Exception {
        List<String> first = orderRun();
        assertEquals(List.of("root-start", "root-spawned", "a1", "b1", "c1", "a2", "b2", "a3", "root-joined-a", "root-end"), first);
        for (int i = 0; i < 20; i++) assertEquals(first, orderRun(), "run " + i);
    }

    @Test
    void yieldNowInterleaves() throws Exception {
        List<Integer> log = new ArrayList<>();
        Run.root(kernel, () -> {
            List<Task<Void>> ts = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                int id = k;
                ts.add(Task.spawn(() -> {
                    for (int i = 0; i < 5; i++) { log.add(id); Task.yieldNow(); }
                    return null;
                }));
            }
            for (Task<Void> t : ts) t.join();
            return null;
        });
        List<Integer> want = new ArrayList<>();
        for (int i = 0; i < 5; i++) { want.add(0); want.add(1); want.add(2); }
        assertEquals(want, log);
    }

    @Test
    void yieldNowAloneReturnsAndOutsideATaskToo() throws Exception {
        Task.yieldNow(); // outside a task: Thread.yield()
        assertEquals("x", Run.root(kernel, () -> { Run.yields(100); return "x"; }));
    }

    // ---------------------------------------------------------------- sleep

    @Test
    void sleepUsesTheKernelClock() throws Exception {
        TimeSource.Manual clock = TimeSource.manual();
        Kernel k = openKernel(clock);
        List<String> log = new ArrayList<>();
        Run.root(k, () -> {
            Task<Long> sleeper = Task.spawn(() -> {
                Task.sleep(Duration.ofSeconds(10));
                log.add("woke");
                return k.timeSource().nanoTime();
            });
            Task.yieldNow(); // the sleeper starts and suspends
            clock.advance(Duration.ofSeconds(4));
            Run.yields(200); // lets the kernel poll several times; the sleeper must not wake
            assertFalse(sleeper.isDone(), "woke 6 s early");
            log.add("advanced-10");
            clock.advance(Duration.ofSeconds(6));
            assertEquals(Duration.ofSeconds(10).toNanos(), sleeper.join());
            assertEquals(0, k.stats().timers());
            return null;
        });
        assertEquals(List.of("advanced-10", "woke"), log);
    }

    @Test
    void sleepZeroReturnsAndNegativeIsRefused() throws Exception {
        Run.root(kernel, () -> {
            Task.sleep(Duration.ZERO);
            assertThrows(IllegalArgumentException.class, () -> Task.sleep(Duration.ofMillis(-1)));
            return null;
        });
    }

    // ---------------------------------------------------------------- cancellation

    @Test
    void cancelledWaitLeavesWithTaskCancelledAndReleasesItsRegistrations() throws Exception {
        Pipe pipe = Pipe.open();
        closeLater(pipe.sink());
        closeLater(pipe.source());
        pipe.source().configureBlocking(false);
        Run.root(kernel, () -> {
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Chan<String> chan = Chan.unbounded();
            Task<String> blocked = Task.spawn(() -> {
                try {
                    kernel.wait(List.of(Event.readable(pipe.source()), Event.after(Duration.ofHours(1)),
                            Event.recv(chan), Event.every(Duration.ofHours(2))), null);
                    return "woke";
                } catch (Throwable e) {
                    seen.set(e);
                    throw e;
                }
            });
            Task.yieldNow();
            assertFalse(blocked.isDone());
            assertEquals(2, kernel.stats().timers(), "the blocked wait holds its two timers");
            assertTrue(blocked.cancel());
            assertThrows(TaskCancelledException.class, blocked::join);
            assertInstanceOf(TaskCancelledException.class, seen.get());
            assertTrue(blocked.isCancelled());
            assertFalse(blocked.cancel(), "cancel of a finished task says false");
            Kernel.Stats s = kernel.stats();
            assertEquals(0, s.timers(), "timers left behind: " + s);
            assertEquals(0, s.processWatches(), "process watches left behind: " + s);
            assertTrue(s.fdRegistrations() <= 1, "at most the reusable registration of the pipe: " + s);

            // nothing of the cancelled wait is still subscribed: the channel and pipe work for the next waiter
            assertTrue(chan.trySend("m"));
            assertEquals("m", chan.tryReceive().orElseThrow());
            pipe.sink().write(ByteBuffer.wrap(new byte[] {9}));
            Event r = Event.readable(pipe.source());
            Fired f = kernel.wait(List.of(r), null).get(0);
            assertSame(r, f.event());
            ByteBuffer buf = ByteBuffer.allocate(4);
            assertEquals(1, pipe.source().read(buf));
            assertEquals(0, kernel.stats().timers());
            return null;
        });
    }

    @Test
    void cancelledWaitsOnStagesThatNeverCompleteDoNotPileUp() throws Exception {
        Run.root(kernel, () -> {
            java.util.concurrent.CompletableFuture<String> first = new java.util.concurrent.CompletableFuture<>();
            for (int i = 0; i < 1000; i++) {
                java.util.concurrent.CompletableFuture<String> f = i == 0 ? first : new java.util.concurrent.CompletableFuture<>();
                Task<List<Fired>> t = Task.spawn(() -> kernel.wait(List.of(Event.done(f)), null));
                Task.yieldNow();
                t.cancel();
                assertThrows(TaskCancelledException.class, t::join);
                assertEquals(List.of(), kernel.wait(List.of(Event.done(new java.util.concurrent.CompletableFuture<>())), Duration.ZERO));
            }
            Kernel.Stats s = kernel.stats();
            assertTrue(s.stageWatches() <= 128, "2000 abandoned waits on pending stages left " + s.stageWatches() + " watches: " + s);
            first.complete("late");
            Event e = Event.done(first);
            assertEquals("late", kernel.wait(List.of(e), null).get(0).result(), "a stage waited on long ago still fires");
            return null;
        });
    }

    @Test
    void cancelATaskBlockedInReceive() throws Exception {
        Run.root(kernel, () -> {
            Chan<String> chan = Chan.rendezvous();
            AtomicBoolean sawCancel = new AtomicBoolean();
            Task<String> r = Task.spawn(() -> {
                try {
                    return chan.receive();
                } catch (TaskCancelledException e) {
                    sawCancel.set(true);
                    throw e;
                }
            });
            Task.yieldNow();
            assertFalse(r.isDone());
            r.cancel();
            assertThrows(TaskCancelledException.class, r::join);
            assertTrue(sawCancel.get());
            assertFalse(chan.trySend("lost?"), "the cancelled receiver must not be waiting on the channel any more");
            assertEquals(0, chan.size());
            return null;
        });
    }

    @Test
    void cancelATaskBlockedInJoin() throws Exception {
        Run.root(kernel, () -> {
            Chan<String> gate = Chan.rendezvous();
            Task<String> worker = Task.spawn(gate::receive);
            Task<String> joiner = Task.spawn(worker::join);
            Task.yieldNow();
            assertFalse(joiner.isDone());
            joiner.cancel();
            assertThrows(TaskCancelledException.class, joiner::join);
            assertFalse(worker.isDone(), "cancelling a joiner does not touch the task it joined");
            assertFalse(worker.isCancelled());
            gate.send("open");
            assertEquals("open", worker.join());
            return null;
        });
    }

    @Test
    void aCancelledUnstartedTaskNeverRuns() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        Run.root(kernel, () -> {
            Task<String> t = Task.spawn(() -> { ran.set(true); return "ran"; });
            assertTrue(t.cancel());
            assertThrows(TaskCancelledException.class, t::join);
            assertTrue(t.isCancelled());
            assertInstanceOf(TaskCancelledException.class, t.failure());
            Fired f = kernel.wait(List.of(Event.done(t)), Duration.ZERO).get(0);
            assertTrue(f.isError());
            assertInstanceOf(TaskCancelledException.class, f.error());
            return null;
        });
        assertFalse(ran.get(), "a task cancelled before it started ran anyway");
    }

    @Test
    void aCancelledTaskSeesItAtItsNextWaitAndMayCleanUp() throws Exception {
        Run.root(kernel, () -> {
            List<String> log = new ArrayList<>();
            Task<String> t = Task.spawn(() -> {
                try {
                    while (true) Task.yieldNow();
                } finally {
                    log.add("cleanup");
                }
            });
            Task.yieldNow();
            t.cancel();
            assertThrows(TaskCancelledException.class, t::join);
            assertEquals(List.of("cleanup"), log);
            return null;
        });
    }

    @Test
    void aTaskCannotJoinItself() throws Exception {
        Run.root(kernel, () -> {
            assertThrows(IllegalStateException.class, () -> Task.current().join());
            Task<Object> self = Task.spawn(() -> {
                assertThrows(IllegalStateException.class, () -> Task.current().join());
                return "ok";
            });
            assertEquals("ok", Run.join(self));
            return null;
        });
    }

    @Test
    void spawnOutsideATaskIsRefused() {
        assertThrows(IllegalStateException.class, () -> Task.spawn(() -> 1));
        assertThrows(IllegalStateException.class, Task::current);
        assertThrows(IllegalStateException.class, Scheduler::current);
        assertFalse(Task.inTask());
    }

    @Test
    void schedulerRunInsideATaskIsRefused() throws Exception {
        Run.root(kernel, () -> {
            assertTrue(Task.inTask());
            assertThrows(IllegalStateException.class, () -> Scheduler.run(kernel, () -> 1));
            try (Kernel other = Kernel.open(backend())) {
                assertThrows(IllegalStateException.class, () -> Scheduler.run(other, () -> 1));
            }
            return null;
        });
    }

    @Test
    void spawnFromAPlainThreadWakesTheSchedulerAndTheTaskRuns() throws Exception {
        AtomicReference<Throwable> threadFailure = new AtomicReference<>();
        CountDownLatch rootWaiting = new CountDownLatch(1);
        AtomicReference<Thread> helper = new AtomicReference<>();
        String got = Run.root(kernel, () -> {
            Scheduler s = Scheduler.current();
            Chan<String> chan = Chan.rendezvous();
            Thread th = new Thread(() -> {
                try {
                    rootWaiting.await();
                    Task<String> t = s.spawn("from-outside", () -> {
                        assertSame(s, Scheduler.current());
                        chan.send("hello from a spawned task");
                        return "spawned-done";
                    });
                    assertEquals("spawned-done", t.join()); // a plain thread may join a task: it blocks
                } catch (Throwable e) {
                    threadFailure.set(e);
                }
            });
            helper.set(th);
            th.start();
            rootWaiting.countDown();
            return chan.receive(); // the only runnable work is the spawn from the other thread
        });
        helper.get().join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(helper.get().isAlive());
        assertNull(threadFailure.get());
        assertEquals("hello from a spawned task", got);
    }

    @Test
    void spawnIntoAnEndedSchedulerIsRefused() throws Exception {
        AtomicReference<Scheduler> s = new AtomicReference<>();
        Run.root(kernel, () -> { s.set(Scheduler.current()); return null; });
        assertTrue(s.get().isFinished());
        assertThrows(IllegalStateException.class, () -> s.get().spawn(() -> 1));
    }

    @Test
    void rootReturningCancelsTheOthersAndRunReturns() throws Exception {
        List<Task<?>> tasks = new ArrayList<>();
        List<String> log = new ArrayList<>();
        String v = Run.root(kernel, () -> {
            Chan<String> never = Chan.rendezvous();
            tasks.add(Task.spawn("receiver", () -> {
                try {
                    return never.receive();
                } catch (TaskCancelledException e) {
                    log.add("receiver cancelled");
                    throw e;
                }
            }));
            tasks.add(Task.spawn("spinner", () -> { while (true) Task.yieldNow(); }));
            tasks.add(Task.spawn("waiter", () -> kernel.wait(List.of(Event.after(Duration.ofHours(1))), null)));
            Task.yieldNow();
            tasks.add(Task.spawn("late", () -> { log.add("late ran"); return null; }));
            return "root done"; // "late" has not started yet
        });
        assertEquals("root done", v);
        for (Task<?> t : tasks) {
            assertTrue(t.isDone(), t + " outlived its scheduler");
        }
        assertTrue(tasks.get(0).isCancelled());
        assertTrue(tasks.get(1).isCancelled());
        assertTrue(tasks.get(2).isCancelled());
        assertTrue(tasks.get(3).isCancelled());
        assertEquals(List.of("receiver cancelled"), log);
        assertEquals(0, kernel.stats().timers());
    }

    @Test
    void aRootFailureCancelsTheOthersAndRunThrows() throws Exception {
        List<Task<?>> tasks = new ArrayList<>();
        Boom boom = new Boom("root fails");
        ExecutionException e = assertThrows(ExecutionException.class, () -> Scheduler.run(kernel, () -> {
            Chan<String> never = Chan.rendezvous();
            tasks.add(Task.spawn(never::receive));
            Task.yieldNow();
            throw boom;
        }));
        assertSame(boom, e.getCause());
        assertTrue(tasks.get(0).isCancelled(), "the blocked task outlived its scheduler");
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // an interrupt-based timeout cannot end a broken run
    void interruptingTheRunThreadCancelsEveryTask() throws Exception {
        Thread runThread = Thread.currentThread();
        List<Task<?>> tasks = new ArrayList<>();
        AtomicReference<Thread> interrupter = new AtomicReference<>();
        assertThrows(InterruptedException.class, () -> Scheduler.run(kernel, () -> {
            Chan<String> never = Chan.rendezvous();
            tasks.add(Task.current());
            tasks.add(Task.spawn(never::receive));
            Thread th = new Thread(runThread::interrupt);
            interrupter.set(th);
            th.start();
            return never.receive(); // only the interrupt ends this
        }));
        assertFalse(Thread.currentThread().isInterrupted(), "the interrupt was consumed by the exception");
        interrupter.get().join();
        for (Task<?> t : tasks) assertTrue(t.isCancelled(), t + " was not cancelled");
    }

    @Test
    void aPlainThreadCancelsABlockedTask() throws Exception {
        Run.root(kernel, () -> {
            Chan<String> never = Chan.rendezvous();
            Task<String> victim = Task.spawn(never::receive);
            Task.yieldNow();
            Thread th = new Thread(victim::cancel);
            th.start();
            assertThrows(TaskCancelledException.class, victim::join); // woken through the kernel
            th.join();
            assertTrue(victim.isCancelled());
            assertFalse(never.trySend("x"));
            return null;
        });
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // starved, the scheduler would not see an interrupt either
    void busyTasksDoNotStarveTimersOrCrossThreadWakeups() throws Exception {
        TimeSource.Manual clock = TimeSource.manual();
        Kernel k = openKernel(clock);
        Run.root(k, () -> {
            Chan<String> fromThread = Chan.rendezvous();
            Task<String> sleeper = Task.spawn(() -> { Task.sleep(Duration.ofSeconds(1)); return "slept"; });
            Task<String> receiver = Task.spawn(fromThread::receive);
            Task.yieldNow(); // both suspend
            clock.advance(Duration.ofSeconds(2));
            Thread th = new Thread(() -> {
                try {
                    fromThread.send("sent");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            th.start();
            // Two busy tasks that only yield: the scheduler must still poll the kernel now and then.
            Task<Integer> spinA = Task.spawn(() -> { int n = 0; while (!(sleeper.isDone() && receiver.isDone())) { n++; Task.yieldNow(); } return n; });
            Task<Integer> spinB = Task.spawn(() -> { int n = 0; while (!(sleeper.isDone() && receiver.isDone())) { n++; Task.yieldNow(); } return n; });
            spinA.join();
            spinB.join();
            assertEquals("slept", sleeper.join());
            assertEquals("sent", receiver.join());
            th.join();
            return null;
        });
    }

    @Test
    void aCancelledScopeOwnerLeavesJoinAndCloseCancelsItsChildren() throws Exception {
        Run.root(kernel, () -> {
            Chan<String> never = Chan.rendezvous();
            List<Task<?>> kids = new ArrayList<>();
            Task<Void> owner = Task.spawn(() -> {
                try (TaskScope scope = TaskScope.open()) {
                    kids.add(scope.spawn(never::receive));
                    kids.add(scope.spawn(() -> { while (true) Task.yieldNow(); }));
                    scope.join();
                }
                return null;
            });
            Run.yields(3);
            assertFalse(owner.isDone());
            owner.cancel();
            assertThrows(TaskCancelledException.class, owner::join);
            assertEquals(2, kids.size());
            for (Task<?> k : kids) assertTrue(k.isCancelled(), k + " outlived its cancelled scope");
            return null;
        });
    }

    // ---------------------------------------------------------------- unobserved failures

    private List<Throwable> runCapturingUncaught(boolean join) throws Exception {
        List<Throwable> reported = new ArrayList<>();
        Thread.UncaughtExceptionHandler old = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((th, e) -> { synchronized (reported) { reported.add(e); } });
        try {
            Run.root(kernel, () -> {
                Task<String> t = Task.spawn("failing", () -> { throw new Boom("unjoined"); });
                if (join) {
                    assertThrows(ExecutionException.class, t::join);
                } else {
                    Task.yieldNow();
                    assertTrue(t.isDone());
                }
                return null;
            });
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(old);
        }
        synchronized (reported) { return new ArrayList<>(reported); }
    }

    @Test
    void anUnjoinedFailedTaskIsReported() throws Exception {
        List<Throwable> reported = runCapturingUncaught(false);
        assertEquals(1, reported.size(), "reported: " + reported);
        assertInstanceOf(Boom.class, reported.get(0));
        assertEquals("unjoined", reported.get(0).getMessage());
    }

    @Test
    void aJoinedFailedTaskIsNotReported() throws Exception {
        assertEquals(List.of(), runCapturingUncaught(true));
    }

    @Test
    void aFailureObservedThroughADoneEventIsNotReported() throws Exception {
        List<Throwable> reported = new ArrayList<>();
        Thread.UncaughtExceptionHandler old = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((th, e) -> { synchronized (reported) { reported.add(e); } });
        try {
            Run.root(kernel, () -> {
                Task<String> t = Task.spawn(() -> { throw new Boom("seen"); });
                assertTrue(kernel.wait(List.of(Event.done(t)), null).get(0).isError());
                return null;
            });
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(old);
        }
        synchronized (reported) { assertEquals(List.of(), reported); }
    }

    // ---------------------------------------------------------------- scopes

    @Test
    void scopeJoinWaitsForEveryChild() throws Exception {
        Run.root(kernel, () -> {
            List<String> log = new ArrayList<>();
            try (TaskScope scope = TaskScope.open()) {
                List<Task<Integer>> kids = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    int n = i;
                    kids.add(scope.spawn(() -> { Run.yields(n * 3); log.add("kid" + n); return n * n; }));
                }
                scope.join();
                assertEquals(4, log.size());
                for (int i = 0; i < 4; i++) {
                    assertTrue(kids.get(i).isDone());
                    assertEquals(i * i, kids.get(i).resultNow());
                }
            }
            return null;
        });
    }

    @Test
    void aChildFailureCancelsItsSiblingsAndJoinThrowsIt() throws Exception {
        Run.root(kernel, () -> {
            Boom boom = new Boom("scope child");
            Chan<String> never = Chan.rendezvous();
            List<String> log = new ArrayList<>();
            try (TaskScope scope = TaskScope.open()) {
                Task<String> sibling = scope.spawn(() -> {
                    try {
                        return never.receive();
                    } catch (TaskCancelledException e) {
                        log.add("sibling cancelled");
                        throw e;
                    }
                });
                Task<String> failing = scope.spawn(() -> { Task.yieldNow(); throw boom; });
                ExecutionException e = assertThrows(ExecutionException.class, scope::join);
                assertSame(boom, e.getCause());
                assertTrue(sibling.isCancelled());
                assertTrue(failing.isDone());
                assertEquals(List.of("sibling cancelled"), log);
                assertThrows(IllegalStateException.class, () -> scope.spawn(() -> 1), "no new children after a failure");
            } // close() does not throw again: join reported it
            return null;
        });
    }

    @Test
    void scopeCloseCancelsUnfinishedChildrenAndWaitsForThem() throws Exception {
        Run.root(kernel, () -> {
            List<String> log = new ArrayList<>();
            Chan<String> never = Chan.rendezvous();
            List<Task<?>> kids = new ArrayList<>();
            try (TaskScope scope = TaskScope.open()) {
                kids.add(scope.spawn(() -> {
                    try {
                        return never.receive();
                    } finally {
                        log.add("a cleaned up");
                    }
                }));
                kids.add(scope.spawn(() -> {
                    try {
                        while (true) Task.yieldNow();
                    } finally {
                        log.add("b cleaned up");
                    }
                }));
                kids.add(scope.spawn(() -> { log.add("c ran"); return null; }));
                kids.add(scope.spawn(() -> {
                    // still waiting after a cancellation would be a bug; it must leave the wait
                    return kernel.wait(List.of(Event.after(Duration.ofHours(1))), null);
                }));
                Task.yieldNow();
            }
            log.add("closed");
            for (Task<?> k : kids) assertTrue(k.isDone(), k + " outlived its scope");
            assertTrue(kids.get(0).isCancelled());
            assertTrue(kids.get(1).isCancelled());
            assertEquals("closed", log.get(log.size() - 1));
            assertTrue(log.containsAll(List.of("a cleaned up", "b cleaned up", "c ran")), log.toString());
            assertEquals(0, kernel.stats().timers());
            return null;
        });
    }

    @Test
    void scopeCloseThrowsAFailureJoinDidNotReport() throws Exception {
        Run.root(kernel, () -> {
            Boom boom = new Boom("unreported");
            TaskScope scope = TaskScope.open();
            scope.spawn(() -> { throw boom; });
            Task.yieldNow();
            TaskScope.ChildFailedException e = assertThrows(TaskScope.ChildFailedException.class, scope::close);
            assertSame(boom, e.getCause());
            scope.close(); // idempotent, and reports once
            return null;
        });
    }

    @Test
    void scopeIsOnlyForItsOwner() throws Exception {
        assertThrows(IllegalStateException.class, TaskScope::open);
        Run.root(kernel, () -> {
            try (TaskScope scope = TaskScope.open()) {
                Task<Void> other = Task.spawn(() -> {
                    assertThrows(IllegalStateException.class, () -> scope.spawn(() -> 1));
                    return null;
                });
                Run.join(other);
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- footprint

    @Test
    @Timeout(120)
    void aHundredThousandTasksParkedOnAChannelFit() throws Exception {
        final int n = 100_000;
        Run.root(kernel, () -> {
            Chan<Integer> chan = Chan.unbounded();
            List<Task<Integer>> tasks = new ArrayList<>(n);
            for (int i = 0; i < n; i++) tasks.add(Task.spawn(chan::receive));
            Task.yieldNow(); // every task runs once and parks in receive
            int parked = 0;
            for (Task<Integer> t : tasks) if (!t.isDone()) parked++;
            assertEquals(n, parked);
            for (int i = 0; i < n; i++) chan.send(i);
            BitSet seen = new BitSet(n);
            for (Task<Integer> t : tasks) {
                int v = t.join();
                assertFalse(seen.get(v), "message " + v + " received twice");
                seen.set(v);
            }
            assertEquals(n, seen.cardinality());
            assertEquals(0, chan.size());
            chan.close();
            assertThrows(ChanClosedException.class, chan::receive);
            return null;
        });
    }

    // ---------------------------------------------------------------- strand

    /** -Dkwait.scheduler=continuation|virtual is obeyed (the suite runs once per strand). */
    @Test
    void theForcedStrandIsTheOneInUse() throws Exception {
        String forced = System.getProperty(io.kwait.Scheduler.STRAND_PROPERTY, "");
        String[] seen = new String[2];
        Run.root(kernel, () -> {
            seen[0] = io.kwait.Scheduler.current().strand();
            seen[1] = String.valueOf(Thread.currentThread().isVirtual());
            return null;
        });
        if (!forced.isEmpty() && !forced.equals("auto")) assertEquals(forced, seen[0]);
        assertEquals(seen[0].equals("virtual") ? "true" : "false", seen[1], "strand " + seen[0] + " runs tasks on the wrong kind of thread");
    }

    // ---------------------------------------------------------------- issue 9: shutdown

    /**
     * Issue 9, defect 1: {@code Scheduler.run} returns only after the scheduler's last poll, so a
     * kernel closed right after it (try-with-resources) is never polled by a task still ending.
     * The root task's thread is joined and any exception it let escape is caught here.
     */
    @Test
    void closingTheKernelRightAfterRunRacesNoTask() throws Exception {
        List<Throwable> uncaught = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(e));
        try {
            for (int i = 0; i < 300 && uncaught.isEmpty(); i++) {
                AtomicReference<Thread> rootThread = new AtomicReference<>();
                int round = i;
                try (Kernel k = Kernel.open(backend())) {
                    assertEquals(round, Scheduler.run(k, () -> {
                        rootThread.set(Thread.currentThread());
                        return round;
                    }));
                }
                Thread t = rootThread.get();
                if (t != Thread.currentThread()) {
                    assertTrue(t.join(Duration.ofSeconds(10)), "the root task's thread did not end");
                }
            }
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
        assertEquals(List.of(), uncaught, "a task's thread touched the kernel after Scheduler.run returned");
    }

    /** Issue 9, defect 16: Task.current() outside a task names Task.inTask() and the way in. */
    @Test
    void currentOutsideATaskNamesTheWayIn() {
        IllegalStateException e = assertThrows(IllegalStateException.class, Task::current);
        assertTrue(e.getMessage().contains("Task.inTask()"), e.getMessage());
        assertTrue(e.getMessage().contains("Scheduler.run"), e.getMessage());
    }
}
