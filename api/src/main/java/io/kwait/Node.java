package io.kwait;

import java.util.concurrent.locks.LockSupport;

/**
 * One blocking operation of one strand (a task, or a plain thread outside any scheduler): a
 * channel send/receive, a join. Woken once, from any thread. The operation's outcome is kept in
 * the node under the lock of the object it waits on (the channel), never in the strand.
 */
final class Node {
    static final int PENDING = 0, COMPLETED = 1, CLOSED = 2;

    final Task<?> task;     // null for a plain thread
    final Thread thread;
    private volatile boolean woken;

    // Outcome of a channel operation, written under the channel's lock.
    Object item;
    int outcome = PENDING;

    Node() {
        this.task = Task.currentOrNull();
        this.thread = Thread.currentThread();
    }

    boolean isWoken() { return woken; }

    /** Wakes the strand; any thread; idempotent. */
    void wake() {
        if (woken) return;
        woken = true;
        if (task != null) task.scheduler.wake(task, this);
        else LockSupport.unpark(thread);
    }

    /**
     * Blocks the current strand until {@link #wake()}.
     *
     * @throws TaskCancelledException the task was cancelled before being woken
     * @throws InterruptedException   the plain thread was interrupted before being woken
     */
    void await() throws InterruptedException {
        if (task != null) {
            task.scheduler.suspend(task, this);
            if (!woken) throw task.cancelledException();
        } else {
            while (!woken) {
                LockSupport.park(this);
                if (!woken && Thread.interrupted()) throw new InterruptedException();
            }
        }
    }

    /** Like {@link #await()} but ignores cancellation and interrupts (for cleanup that must finish). */
    void awaitUninterruptibly() {
        boolean interrupted = false;
        while (!woken) {
            if (task != null) {
                task.scheduler.suspendUncancellable(task, this);
            } else {
                LockSupport.park(this);
                if (Thread.interrupted()) interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
