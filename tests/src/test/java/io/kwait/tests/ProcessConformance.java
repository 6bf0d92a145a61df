package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Task;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Process exit: children by {@code Process}, {@code ProcessHandle} and pid, exit statuses
 * (including death by a signal), processes that exited before the wait, processes this JVM did
 * not start, and no growth over repeated waits. Every child is destroyed and reaped after the test.
 */
@Timeout(30)
public abstract class ProcessConformance extends ResourceConformanceSupport {

    private static final Duration PATIENCE = Duration.ofSeconds(15);

    @Test
    void exitStatusOfAChild() throws Exception {
        Process p = child("sh", "-c", "exit 3");
        Event e = Event.exit(p);
        assertEquals(p.pid(), e.pid());
        List<Fired> f = kernel.wait(List.of(e), null);
        assertFiredExactly(f, e);
        assertEquals(Filter.EXIT, f.get(0).filter());
        assertFalse(p.isAlive(), "EXIT fired, so the child must have exited");
        assertEquals(OptionalInt.of(3), f.get(0).exitStatus());
        assertEquals(p.exitValue(), f.get(0).exitStatus().getAsInt());
        assertEquals(3, f.get(0).data());
        assertFalse(f.get(0).isError());
        assertEquals(0, kernel.stats().processWatches(), "a process that exited is not watched any more");
    }

    @Test
    void exitStatusZero() throws Exception {
        Process p = child("true");
        Event e = Event.exit(p);
        List<Fired> f = kernel.wait(List.of(e), PATIENCE);
        assertFiredExactly(f, e);
        assertEquals(OptionalInt.of(0), f.get(0).exitStatus());
        assertEquals(0, p.exitValue());
    }

    @Test
    void childKilledBySignalReports128PlusTheSignal() throws Exception {
        Process p = child("sleep", "30");
        Event e = Event.exit(p);
        inScheduler(kernel, () -> {
            // Runs once the root task waits: the exit must wake the suspended wait.
            Task<Void> killer = Task.spawn(() -> { p.destroyForcibly(); return null; });
            List<Fired> f = kernel.wait(List.of(e), null);
            assertFiredExactly(f, e);
            assertEquals(OptionalInt.of(128 + 9), f.get(0).exitStatus());
            assertEquals(p.exitValue(), f.get(0).exitStatus().getAsInt());
            joinTask(killer);
            return null;
        });
    }

    @Test
    void aChildThatAlreadyExitedFiresAtOnce() throws Exception {
        Process p = child("sh", "-c", "exit 7");
        assertTrue(p.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        Event e = Event.exit(p);
        List<Fired> f = kernel.wait(List.of(e), Duration.ZERO); // a poll: it must already be there
        assertFiredExactly(f, e);
        assertEquals(OptionalInt.of(7), f.get(0).exitStatus());
        // And again: an exited process stays in its fired state.
        f = kernel.wait(List.of(e), null);
        assertFiredExactly(f, e);
        assertEquals(OptionalInt.of(7), f.get(0).exitStatus());
        assertEquals(0, kernel.stats().processWatches());
    }

    @Test
    void severalProcessesInOneWaitInTheOrderGiven() throws Exception {
        Process one = child("sh", "-c", "exit 1");
        Process two = child("sh", "-c", "exit 2");
        Process running = child("sleep", "30");
        assertTrue(one.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertTrue(two.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        Event e1 = Event.exit(one), e2 = Event.exit(two), er = Event.exit(running);
        List<Fired> f = kernel.wait(List.of(e2, er, e1), null);
        assertFiredExactly(f, e2, e1);
        assertEquals(OptionalInt.of(2), f.get(0).exitStatus());
        assertEquals(OptionalInt.of(1), f.get(1).exitStatus());
        assertEquals(1, kernel.stats().processWatches(), "only the running one stays watched: " + kernel.stats());
    }

    @Test
    void exitByProcessHandleOfAChild() throws Exception {
        Process p = child("sleep", "30");
        ProcessHandle h = p.toHandle();
        Event e = Event.exit(h);
        assertEquals(p.pid(), e.pid());
        assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO));
        inScheduler(kernel, () -> {
            Task<Void> killer = Task.spawn(() -> { p.destroy(); return null; });
            List<Fired> f = kernel.wait(List.of(e), null);
            assertFiredExactly(f, e);
            assertFalse(h.isAlive());
            // By handle the status may be unknown; where it is known it is the child's.
            OptionalInt status = f.get(0).exitStatus();
            if (status.isPresent()) {
                assertEquals(p.waitFor(), status.getAsInt());
            } else {
                assertEquals(-1, f.get(0).data(), "unknown status: data is -1");
            }
            joinTask(killer);
            return null;
        });
        assertEquals(0, kernel.stats().processWatches());
    }

    @Test
    void oneChildWatchedByHandleAndByProcessInOneWait() throws Exception {
        for (int i = 0; i < 5; i++) {
            Process p = child("sleep", "30");
            Event byHandle = Event.exit(p.toHandle()); // first in the list: the watch starts from the handle
            Event byProcess = Event.exit(p);
            assertEquals(List.of(), kernel.wait(List.of(byHandle, byProcess), Duration.ZERO));
            inScheduler(kernel, () -> {
                Task<Void> killer = Task.spawn(() -> { p.destroyForcibly(); return null; });
                List<Fired> f = kernel.wait(List.of(byHandle, byProcess), null);
                assertFiredExactly(f, byHandle, byProcess);
                assertEquals(OptionalInt.of(137), f.get(1).exitStatus(), "a Process always knows its status");
                joinTask(killer);
                return null;
            });
            assertEquals(0, kernel.stats().processWatches());
        }
    }

    @Test
    @Timeout(10)
    void anExitNoticedByALaterWaitAlsoWakesTheEarlierWaiters() throws Exception {
        Process p = child("sleep", "30");
        Event first = Event.exit(p);
        Event second = Event.exit(p);
        inScheduler(kernel, () -> {
            Task<List<Fired>> waiter = Task.spawn(() -> kernel.wait(List.of(first), null));
            Task.yieldNow(); // the waiter runs and suspends in its wait
            assertFalse(waiter.isDone());
            // The child dies and is reaped while this task holds the scheduler, so the kernel has
            // not heard of it yet when the next wait looks at the process itself.
            p.destroyForcibly();
            assertEquals(137, p.waitFor());
            List<Fired> mine = kernel.wait(List.of(second), Duration.ZERO);
            assertFiredExactly(mine, second);
            List<Fired> theirs = joinTask(waiter);
            assertFiredExactly(theirs, first);
            assertEquals(OptionalInt.of(137), theirs.get(0).exitStatus());
            return null;
        });
        assertEquals(0, kernel.stats().processWatches());
    }

    @Test
    void exitByPidOfAChild() throws Exception {
        Process p = child("sleep", "30");
        Event e = Event.exit(p.pid());
        assertEquals(p.pid(), e.pid());
        inScheduler(kernel, () -> {
            Task<Void> killer = Task.spawn(() -> { p.destroy(); return null; });
            List<Fired> f = kernel.wait(List.of(e), null);
            assertFiredExactly(f, e);
            OptionalInt status = f.get(0).exitStatus();
            if (status.isPresent()) assertEquals(128 + 15, status.getAsInt());
            joinTask(killer);
            return null;
        });
        assertEquals(128 + 15, p.waitFor());
    }

    @Test
    void pidWithNoProcessIsRefused() {
        long noSuchPid = 4_194_305L; // above Linux's PID_MAX_LIMIT and macOS's 99999
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Event.exit(noSuchPid));
        assertTrue(e.getMessage().contains(Long.toString(noSuchPid)), e.getMessage());
        assertTrue(e.getMessage().contains("ProcessHandle"), "the message names the way out: " + e.getMessage());
        assertThrows(NullPointerException.class, () -> Event.exit((Process) null));
        assertThrows(NullPointerException.class, () -> Event.exit((ProcessHandle) null));
    }

    @Test
    void aProcessThisJvmDidNotStart() throws Exception {
        // sh starts a sleep in the background, prints its pid and exits: the sleep is not our child.
        ProcessHandle other = notOurChild();
        assertNotEquals(ProcessHandle.current().pid(), other.parent().map(ProcessHandle::pid).orElse(-1L),
                "the background sleep should not be our child");

        Event e = Event.exit(other);
        assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO));
        inScheduler(kernel, () -> {
            Task<Void> killer = Task.spawn(() -> { assertTrue(other.destroy()); return null; });
            List<Fired> f = kernel.wait(List.of(e), null);
            assertFiredExactly(f, e);
            assertEquals(Filter.EXIT, f.get(0).filter());
            // kwait cannot know the status of a process it did not start (unless the OS says).
            OptionalInt status = f.get(0).exitStatus();
            if (status.isPresent()) assertEquals(128 + 15, status.getAsInt());
            joinTask(killer);
            return null;
        });
        assertEquals(0, kernel.stats().processWatches());
    }

    @Test
    void repeatedWaitsOnARunningProcessKeepOneWatch() throws Exception {
        Process p = child("sleep", "30");
        Event e = Event.exit(p);
        Event alsoByHandle = Event.exit(p.toHandle());
        int threads = Thread.activeCount();
        for (int i = 0; i < 100; i++) {
            assertEquals(List.of(), kernel.wait(List.of(e, alsoByHandle), Duration.ZERO));
            assertEquals(1, kernel.stats().processWatches(), "wait #" + i + ": " + kernel.stats());
            assertEquals(0, kernel.stats().timers());
        }
        assertTrue(Thread.activeCount() <= threads + 2, "threads grew from " + threads + " to " + Thread.activeCount());
        p.destroyForcibly();
        List<Fired> f = kernel.wait(List.of(e, alsoByHandle), null);
        assertFiredExactly(f, e, alsoByHandle);
        assertEquals(OptionalInt.of(137), f.get(0).exitStatus());
        assertEquals(0, kernel.stats().processWatches());
    }

    // ------------------------------------------------------------------ issue 9: abandoned waits

    /** Issue 9, defect 3: a cancelled wait on a live process releases its watch at once. */
    @Test
    void aCancelledWaitOnALiveProcessLeavesNoWatch() throws Exception {
        Process p = child("sleep", "30");
        assertCancelledWaitLeavesNoWatch(Event.exit(p), Kernel.Stats::processWatches,
                stats -> assertEquals(0, stats.backendRegistrations(), stats.toString()));
    }

    /** Issue 9, defect 3: an interrupted plain thread's wait on a live process releases its watch. */
    @Test
    void anInterruptedWaitOnALiveProcessLeavesNoWatch() throws Exception {
        Process p = child("sleep", "30");
        assertInterruptedWaitLeavesNoWatch(Event.exit(p), Kernel.Stats::processWatches);
    }

    // ------------------------------------------------------------------ issue 9: one rule for the exit status

    /**
     * Issue 9, defects 7 and 13: the exit status is known exactly when the event was built from a
     * {@link Process}; by handle or pid it is unknown, on every backend, even for a child of this
     * JVM and even when the same wait also watches it by {@code Process}.
     */
    @Test
    void exitStatusIsKnownExactlyForEventsBuiltFromAProcess() throws Exception {
        Process p = child("sleep", "30");
        Event byHandle = Event.exit(p.toHandle());
        Event byPid = Event.exit(p.pid());
        Event byProcess = Event.exit(p);
        List<Event> all = List.of(byHandle, byPid, byProcess);
        assertEquals(List.of(), kernel.wait(all, Duration.ZERO)); // one watch, shared by the three
        List<Fired> f = inScheduler(kernel, () -> {
            Task<Void> killer = Task.spawn(() -> { p.destroyForcibly(); return null; });
            List<Fired> got = new java.util.ArrayList<>();
            java.util.Set<Event> left = new java.util.HashSet<>(all);
            while (!left.isEmpty()) {
                for (Fired x : kernel.wait(new java.util.ArrayList<>(left), null)) {
                    got.add(x);
                    left.remove(x.event());
                }
            }
            joinTask(killer);
            got.sort(java.util.Comparator.comparingInt(x -> all.indexOf(x.event())));
            return got;
        });
        assertFiredExactly(f, byHandle, byPid, byProcess);
        assertEquals(OptionalInt.empty(), f.get(0).exitStatus(), f.toString());
        assertEquals(-1, f.get(0).data(), f.toString());
        assertEquals(OptionalInt.empty(), f.get(1).exitStatus(), f.toString());
        assertEquals(OptionalInt.of(137), f.get(2).exitStatus(), f.toString());
        assertEquals(0, kernel.stats().processWatches());
    }

    /** Issue 9, defect 7: a process this JVM did not start exits with an unknown status on every backend. */
    @Test
    void aNonChildsExitStatusIsUnknownOnEveryBackend() throws Exception {
        ProcessHandle other = notOurChild();
        Event e = Event.exit(other);
        assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO));
        assertTrue(other.destroyForcibly());
        List<Fired> f = kernel.wait(List.of(e), Duration.ofSeconds(20));
        assertFiredExactly(f, e);
        assertEquals(OptionalInt.empty(), f.get(0).exitStatus(), f.toString());
        assertEquals(0, kernel.stats().processWatches());
    }
}
