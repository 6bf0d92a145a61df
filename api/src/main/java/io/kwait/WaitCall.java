package io.kwait;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@link Kernel#wait} in progress: the events, one result slot per event, and what to undo
 * when it ends. Touched only by the kernel's owner thread.
 */
final class WaitCall {
    final Event[] events;
    final Fired[] slots;
    final Kernel kernel;
    final Task<?> task;         // null when a plain thread waits
    final Node node;            // the task's suspension, or null for a plain thread
    final long start;
    final List<Runnable> undo = new ArrayList<>();
    int firedCount;
    boolean done;               // fired or timed out: the waiter may resume
    boolean completedNormally;  // the call returns its results (rather than throwing)

    WaitCall(Kernel kernel, Event[] events, Task<?> task, long start) {
        this.kernel = kernel;
        this.events = events;
        this.slots = new Fired[events.length];
        this.task = task;
        this.node = task != null ? new Node() : null;
        this.start = start;
    }

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
        if (node != null) node.wake();
        else kernel.progress++; // a plain thread's wait completed inside pollOnce (e.g. a due timer): its poll must not block
    }

    List<Fired> results() {
        if (firedCount == 0) return List.of();
        List<Fired> out = new ArrayList<>(firedCount);
        for (Fired f : slots) if (f != null) out.add(f);
        return out;
    }

    void undoAll() {
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                undo.get(i).run();
            } catch (RuntimeException e) {
                Kernel.LOG.log(System.Logger.Level.WARNING, "kwait: cleanup after wait failed", e);
            }
        }
        undo.clear();
    }
}
