package io.kwait.core;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Who owns a kernel's state now: the plain thread inside {@code wait}, or — while a scheduler
 * runs on the kernel — the thread of whichever task holds the baton (on the continuation strand,
 * the thread in {@code Scheduler.run}). Only the owner touches homes, timers, wait calls and the
 * run queue; every other thread goes through {@link Loop#post}. The whole protocol is here.
 *
 * <p>A plain wait and a starting scheduler each publish themselves, then look for the other
 * (both fields volatile), so at least one of them sees the other and backs out.
 */
final class Ownership {
    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private final AtomicReference<Thread> waitingThread = new AtomicReference<>();
    private volatile SchedulerCore scheduler;

    boolean isOwner() { return Thread.currentThread() == owner.get(); }

    SchedulerCore scheduler() { return scheduler; }

    Thread waitingThread() { return waitingThread.get(); }

    /** A plain thread starts a wait: it owns the state until {@link #leaveWait}. */
    void enterWait(Thread me) {
        if (scheduler != null) throw drivenByScheduler();
        if (!waitingThread.compareAndSet(null, me)) {
            Thread other = waitingThread.get();
            throw new IllegalStateException("thread '" + (other == null ? "?" : other.getName())
                    + "' is already waiting on this kernel; a kernel serves one waiting thread at a time: "
                    + "use one kernel per thread, or tasks of one Scheduler");
        }
        if (!owner.compareAndSet(null, me) || scheduler != null) {
            leaveWait(me);
            throw drivenByScheduler();
        }
    }

    /** The plain thread's wait ended; it releases only what it took (a scheduler may own the state now). */
    void leaveWait(Thread me) {
        owner.compareAndSet(me, null);
        waitingThread.compareAndSet(me, null);
    }

    private static IllegalStateException drivenByScheduler() {
        return new IllegalStateException("this kernel is driven by a running Scheduler; wait from one of its tasks "
                + "(scheduler.spawn(...)) or send to a Chan its tasks wait on");
    }

    /** A scheduler starts on the kernel; it hands the state on with {@link #handTo}. */
    synchronized void attach(SchedulerCore s) {
        if (scheduler != null) throw new IllegalStateException("another Scheduler is already running on this kernel");
        scheduler = s; // before looking at the waiting thread: a plain wait publishes itself, then looks at scheduler
        if (waitingThread.get() != null) {
            scheduler = null;
            throw new IllegalStateException("a thread is waiting on this kernel; a Scheduler needs it alone");
        }
    }

    /** The scheduler ended: nobody owns the state. */
    synchronized void detach(SchedulerCore s) {
        if (scheduler != s) return;
        owner.set(null);
        scheduler = null;
    }

    /** The running scheduler gives the state to {@code t} (null: to nobody). */
    void handTo(Thread t) { owner.set(t); }
}
