package io.kwait.core;

import java.util.concurrent.locks.LockSupport;

/**
 * One suspension of one strand (a task, or a plain thread outside any scheduler) in a blocking
 * operation: a wait call, a channel send or receive, a join. Woken once, from any thread. A
 * channel operation's outcome is kept here, written under the channel's lock, never in the strand.
 */
public final class Suspension implements ChanHome.Party {
    /** Outcomes of a channel operation. */
    public static final int PENDING = 0, COMPLETED = 1, CLOSED = 2;

    private final TaskCore task;     // null for a plain thread
    private final Thread thread;
    private volatile boolean woken;
    private Object item;
    private int outcome = PENDING;

    /** For the calling strand. */
    public Suspension() { this(TaskCore.current()); }

    Suspension(TaskCore task) {
        this.task = task;
        this.thread = Thread.currentThread();
    }

    public boolean isWoken() { return woken; }

    /** The channel operation's message. */
    @Override
    public Object item() { return item; }

    public void item(Object m) { item = m; }

    /** {@link #PENDING}, {@link #COMPLETED} or {@link #CLOSED}. */
    public int outcome() { return outcome; }

    public void outcome(int o) { outcome = o; }

    /** A blocked send or receive always completes: its withdrawal is under the channel's lock too. */
    @Override
    public boolean complete(Object message) {
        if (message != null) item = message;
        outcome = COMPLETED;
        return true;
    }

    @Override
    public boolean closed() {
        outcome = CLOSED;
        return true;
    }

    /** Wakes the strand; any thread; idempotent. On the owner thread a task goes straight to the run queue. */
    @Override
    public void wake() {
        if (woken) return;
        woken = true;
        if (task != null) task.scheduler.wake(task, this);
        else LockSupport.unpark(thread);
    }

    /**
     * Blocks the current strand until {@link #wake()}.
     *
     * @throws io.kwait.TaskCancelledException the task was cancelled before being woken
     * @throws InterruptedException            the plain thread was interrupted before being woken
     */
    public void await() throws InterruptedException {
        if (task != null) {
            task.suspend(this);
            if (!woken) throw task.cancelledException();
        } else {
            while (!woken) {
                LockSupport.park(this);
                if (!woken && Thread.interrupted()) throw new InterruptedException();
            }
        }
    }

    /** Like {@link #await()} but ignores cancellation and interrupts (for cleanup that must finish). */
    public void awaitUninterruptibly() {
        boolean interrupted = false;
        while (!woken) {
            if (task != null) {
                task.suspendUncancellable(this);
            } else {
                LockSupport.park(this);
                if (Thread.interrupted()) interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
