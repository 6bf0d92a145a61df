package io.kwait.core;

import io.kwait.Event;
import io.kwait.Fired;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code Kernel.wait} in progress: the events, one result slot per event, and the undo list
 * of its subscriptions, run whatever way the call ends. Touched only by the kernel's owner thread.
 */
final class WaitCall {
    final Event[] events;
    final Fired[] slots;
    final Loop loop;
    final TaskCore task;          // null when a plain thread waits
    final Suspension suspension;  // the task's, or null for a plain thread
    final long start;
    private final List<Subscription> undo = new ArrayList<>();
    private int firedCount;
    boolean done;                 // fired or timed out: the waiter may resume
    boolean completedNormally;    // the call returns its results (rather than throwing)
    /** Its committing channel events, or null when it has none (see {@link ChanHome#settle}). */
    ChanHome.Selection selection;

    WaitCall(Loop loop, Event[] events, TaskCore task, long start) {
        this.loop = loop;
        this.events = events;
        this.slots = new Fired[events.length];
        this.task = task;
        this.suspension = task != null ? new Suspension(task) : null;
        this.start = start;
    }

    void add(Subscription s) { undo.add(s); }

    /** Records that event {@code i} fired; the first call wakes the waiter. Later fires of the same event are merged away. */
    void fire(int i, Fired f) {
        if (slots[i] != null) return;
        slots[i] = f;
        firedCount++;
        finish();
    }

    void timedOut() { finish(); }

    private void finish() {
        if (done) return;
        done = true;
        // On the owner thread: the task goes straight to the run queue.
        if (suspension != null) suspension.wake();
        else loop.progress++; // a plain thread's wait completed inside pollOnce (e.g. a due timer): its poll must not block
    }

    List<Fired> results() {
        if (firedCount == 0) return List.of();
        List<Fired> out = new ArrayList<>(firedCount);
        for (Fired f : slots) if (f != null) out.add(f);
        return out;
    }

    void undoAll() {
        boolean abandoned = !completedNormally;
        for (int i = undo.size() - 1; i >= 0; i--) {
            Subscription s = undo.get(i);
            try {
                s.home.release(s, abandoned);
            } catch (RuntimeException e) {
                Loop.LOG.log(System.Logger.Level.WARNING, "kwait: cleanup after wait failed", e);
            }
        }
        undo.clear();
    }
}
