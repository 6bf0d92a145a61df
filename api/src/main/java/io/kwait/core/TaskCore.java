package io.kwait.core;

import io.kwait.Task;
import io.kwait.TaskCancelledException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;

/**
 * The state behind one public {@link Task}, as both strands need it: identity, the body, the
 * outcome, cancellation, what it is suspended on, and who waits for it. Each strand adds what
 * it runs the task on (a continuation, a virtual thread) in its own subclass.
 */
public abstract class TaskCore {
    private static final ThreadLocal<TaskCore> CURRENT = new ThreadLocal<>();

    public final SchedulerCore scheduler;
    public final long id;
    public final String name;
    private final Callable<?> body;
    /** The scope's failure handler, or null. */
    private final BiConsumer<TaskCore, Throwable> onFailure;
    private final Task<?> handle;
    /** The suspension this task is parked on, or null when runnable/running. Owner thread only. */
    Suspension suspendedOn;
    boolean uncancellable;
    volatile boolean cancelRequested;
    private volatile boolean done;
    private Object result;
    private Throwable failure;
    /** Someone took the outcome (join, DONE event, scope): a failure then needs no report. */
    volatile boolean observed;
    /** The {@link Watchdog} reported this task as stuck (at most once); its thread only. */
    boolean stuckReported;
    private final List<Object> waiters = new ArrayList<>(1); // Suspension (join) or Runnable (DONE callbacks)

    protected TaskCore(SchedulerCore scheduler, long id, String name, Callable<?> body, BiConsumer<TaskCore, Throwable> onFailure) {
        this.scheduler = scheduler;
        this.id = id;
        this.name = name;
        this.body = body;
        this.onFailure = onFailure;
        this.handle = Access.api().newTask(this);
    }

    /** The task on the calling thread, or null. */
    public static TaskCore current() { return CURRENT.get(); }

    static void setCurrent(TaskCore t) {
        // set(null), not remove(): the continuation strand calls this twice a switch, and a set
        // after a remove allocates a new map entry (a WeakReference) every time.
        CURRENT.set(t);
    }

    /** The thread a failure is reported against. */
    abstract Thread thread();

    public Task<?> handle() { return handle; }

    public boolean isDone() { return done; }

    public boolean isCancelRequested() { return cancelRequested; }

    public boolean isUncancellable() { return uncancellable; }

    public Throwable failure() { return done ? failure : null; }

    /** The value, read after {@link #isDone()}. */
    public Object result() { return result; }

    public TaskCancelledException cancelledException() {
        return (TaskCancelledException) Access.api().cancelled("task '" + name + "' was cancelled");
    }

    // ---------------------------------------------------------------- suspension (owner thread)

    /** Suspends until {@code s} is woken or the task is cancelled. */
    void suspend(Suspension s) {
        if (cancelRequested && !uncancellable) return; // a cancellation point: the caller throws
        if (s.isWoken()) return;
        suspendedOn = s;
        scheduler.strand.switchAway(this);
    }

    /** Suspends until {@code s} is woken; cancellation does not end it. */
    void suspendUncancellable(Suspension s) {
        boolean was = uncancellable;
        uncancellable = true;
        try {
            if (s.isWoken()) return;
            suspendedOn = s;
            scheduler.strand.switchAway(this);
        } finally {
            uncancellable = was;
        }
    }

    /** Lets every other runnable task run once. */
    public void yieldNow() {
        scheduler.enqueue(this);
        scheduler.strand.switchAway(this);
    }

    // ---------------------------------------------------------------- outcome

    /**
     * Waits for the task to finish and returns its value.
     *
     * @throws ExecutionException     it threw
     * @throws TaskCancelledException it was cancelled, or the calling task was
     */
    public Object join() throws InterruptedException, ExecutionException {
        if (!done) {
            if (current() == this) throw new IllegalStateException("a task cannot join itself");
            Suspension s = new Suspension();
            synchronized (waiters) {
                if (!done) waiters.add(s);
            }
            if (!done) {
                try {
                    s.await();
                } catch (InterruptedException | TaskCancelledException e) {
                    synchronized (waiters) { waiters.remove(s); }
                    if (!done) throw e;
                    if (current() == null) Thread.currentThread().interrupt(); // keep the interrupt for the caller's next wait
                }
            }
        }
        observed = true;
        if (failure instanceof TaskCancelledException) throw cancelledException();
        if (failure != null) throw new ExecutionException("task '" + name + "' failed: " + failure, failure);
        return result;
    }

    /** Asks the task to stop; thread-safe. Returns false if it had already finished. */
    public boolean cancel() {
        if (done) return false;
        cancelRequested = true;
        scheduler.deliverCancel(this);
        return true;
    }

    public void addDoneCallback(Runnable r) {
        boolean now;
        synchronized (waiters) {
            now = done;
            if (!now) waiters.add(r);
        }
        if (now) r.run();
    }

    public void removeDoneCallback(Runnable r) {
        synchronized (waiters) { waiters.remove(r); }
    }

    /** Runs the body on the task's strand and records its outcome. */
    final void runBody() {
        Object value = null;
        Throwable error = null;
        try {
            if (cancelRequested) throw cancelledException();
            value = body.call();
        } catch (Throwable e) {
            error = e;
        }
        if (error instanceof TaskCancelledException && !cancelRequested) {
            // A cancellation from elsewhere (a join on a cancelled task) that this task let escape: an ordinary failure.
            error = new ExecutionException("task '" + name + "' let a cancellation escape", error);
        }
        complete(value, error);
    }

    /** Finishes without running (spawned into a scheduler that already ended). */
    void completeUnstarted() {
        complete(null, cancelledException());
    }

    private void complete(Object value, Throwable error) {
        List<Object> toWake;
        synchronized (waiters) {
            result = value;
            failure = error;
            done = true;
            toWake = new ArrayList<>(waiters);
            waiters.clear();
        }
        if (error != null && !(error instanceof TaskCancelledException)) {
            if (onFailure != null) {
                observed = true;
                onFailure.accept(this, error);
            }
            scheduler.failed(this);
        }
        for (Object w : toWake) {
            if (w instanceof Suspension s) s.wake();
            else ((Runnable) w).run();
        }
    }

    @Override
    public String toString() {
        return "Task[" + id + " " + name + (done ? (failure == null ? ", done" : ", failed: " + failure) : "") + "]";
    }
}
