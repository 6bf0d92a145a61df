package io.kwait;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;

/**
 * A cooperative task of a {@link Scheduler}: straight-line code in which {@link Kernel#wait},
 * {@link Chan#send}/{@link Chan#receive}, {@link #join()} and {@link #sleep} are plain calls that
 * suspend only this task. One task of a scheduler runs at a time and control changes hands only
 * where a task waits (or calls {@link #yieldNow()}), so tasks of one scheduler share state without
 * locks. Run order is FIFO.
 *
 * <pre>{@code
 * Scheduler.run(kernel, () -> {
 *     Task<Integer> child = Task.spawn(() -> compute());
 *     return child.join();          // suspends this task until child finishes
 * });
 * }</pre>
 *
 * <p>A task's result can be taken by {@link #join()} or by waiting on {@link Event#done(Task)}.
 * A task that fails and whose failure no one observes (join, a DONE event, a {@link TaskScope}) is
 * reported when its scheduler ends: to the default uncaught-exception handler if one is set, else
 * on {@code System.err}. Cancellation ({@link #cancel()}) makes the task leave its current wait at
 * once with {@link TaskCancelledException}, releasing what that wait registered.
 *
 * <p>Maintainers: a task runs either as a {@code jdk.internal.vm.Continuation} driven by the
 * scheduler's thread (when the JVM exports it), or on its own virtual thread of which only the
 * holder of the scheduler's baton runs (see {@link Scheduler}).
 *
 * @param <T> the result type
 */
public final class Task<T> {
    private static final ThreadLocal<Task<?>> CURRENT = new ThreadLocal<>();

    final Scheduler scheduler;
    private final long id;
    private final String name;
    private final Callable<T> body;
    final TaskScope scope;
    Thread thread;
    boolean started;
    /** The scheduler's baton: true when this task may run. */
    volatile boolean baton;
    /** The node this task is suspended on, or null when runnable/running. Owner thread only. */
    Node parkedOn;
    boolean uncancellable;
    volatile boolean cancelRequested;
    private volatile boolean done;
    private T result;
    private Throwable failure;
    /** Someone took the outcome (join, DONE event, scope): a failure then needs no report. */
    volatile boolean observed;
    private final List<Object> waiters = new ArrayList<>(1); // Node (join) or Runnable (DONE callbacks)

    Task(Scheduler scheduler, long id, String name, Callable<T> body, TaskScope scope) {
        this.scheduler = scheduler;
        this.id = id;
        this.name = name;
        this.body = body;
        this.scope = scope;
    }

    // ---------------------------------------------------------------- static API

    /**
     * Spawns a task in the current task's scheduler. It is queued behind the tasks already
     * runnable; the caller goes on running.
     *
     * @throws IllegalStateException called outside a task: use {@link Scheduler#spawn(Callable)}
     */
    public static <T> Task<T> spawn(Callable<T> body) {
        return spawn(null, body);
    }

    /** Like {@link #spawn(Callable)}, with a name shown in thread dumps and reports. */
    public static <T> Task<T> spawn(String name, Callable<T> body) {
        Objects.requireNonNull(body, "body");
        Task<?> me = currentOrNull();
        if (me == null) {
            throw new IllegalStateException("Task.spawn called outside a task; use Scheduler.run(kernel, body) to start one, "
                    + "or scheduler.spawn(body) from another thread");
        }
        return me.scheduler.spawn(name, body);
    }

    /**
     * The task running on the calling thread.
     *
     * @throws IllegalStateException the caller is not a task; {@link #inTask()} tells first
     */
    public static Task<?> current() {
        Task<?> t = CURRENT.get();
        if (t == null) throw new IllegalStateException("not inside a kwait task");
        return t;
    }

    /** Whether the calling code runs in a kwait task. */
    public static boolean inTask() { return CURRENT.get() != null; }

    static Task<?> currentOrNull() { return CURRENT.get(); }

    /**
     * Lets every other runnable task of this scheduler run once, then continues. Outside a task,
     * {@link Thread#yield()}.
     *
     * @throws TaskCancelledException the task was cancelled
     */
    public static void yieldNow() {
        Task<?> me = currentOrNull();
        if (me == null) {
            Thread.yield();
            return;
        }
        if (me.cancelRequested && !me.uncancellable) throw me.cancelledException();
        me.scheduler.yieldTask(me);
        if (me.cancelRequested) throw me.cancelledException();
    }

    /**
     * Suspends the current task for {@code d} on its kernel's clock (other tasks run meanwhile);
     * outside a task, {@link Thread#sleep}.
     */
    public static void sleep(Duration d) throws InterruptedException {
        Objects.requireNonNull(d, "duration");
        if (d.isNegative()) throw new IllegalArgumentException("negative sleep " + d);
        Task<?> me = currentOrNull();
        if (me == null) {
            Thread.sleep(d);
            return;
        }
        me.scheduler.kernel.wait(List.of(Event.after(d)), null);
    }

    // ---------------------------------------------------------------- instance API

    /** Sequential id within the scheduler, from 1 (the root task). */
    public long id() { return id; }

    /** The task's name. */
    public String name() { return name; }

    /** The scheduler it belongs to. */
    public Scheduler scheduler() { return scheduler; }

    /** Whether it finished: returned, threw, or was cancelled. */
    public boolean isDone() { return done; }

    /** Whether it finished because it was cancelled. */
    public boolean isCancelled() { return done && failure instanceof TaskCancelledException; }

    /**
     * Waits for the task to finish and returns its value. Suspends only the calling task; from a
     * plain thread, blocks it.
     *
     * @throws ExecutionException     the task threw (the cause is its exception)
     * @throws TaskCancelledException the task was cancelled, or the calling task was
     * @throws InterruptedException   the calling plain thread was interrupted
     * @throws IllegalStateException  a task joins itself
     */
    public T join() throws InterruptedException, ExecutionException {
        if (!done) {
            if (currentOrNull() == this) throw new IllegalStateException("a task cannot join itself");
            Node node = new Node();
            synchronized (waiters) {
                if (!done) waiters.add(node);
            }
            if (!done) {
                try {
                    node.await();
                } catch (InterruptedException | TaskCancelledException e) {
                    synchronized (waiters) { waiters.remove(node); }
                    if (!done) throw e;
                    Task<?> me = currentOrNull();
                    if (me == null) Thread.currentThread().interrupt(); // keep the interrupt for the caller's next wait
                }
            }
        }
        observed = true;
        if (failure instanceof TaskCancelledException c) throw new TaskCancelledException("task '" + name + "' was cancelled");
        if (failure != null) throw new ExecutionException("task '" + name + "' failed: " + failure, failure);
        return result;
    }

    /**
     * Asks the task to stop: it leaves its current (or next) wait with {@link TaskCancelledException}.
     * A task that has not started never runs. Thread-safe.
     *
     * @return false if it had already finished
     */
    public boolean cancel() {
        if (done) return false;
        cancelRequested = true;
        scheduler.cancel(this);
        return true;
    }

    /** The value of a task that finished normally. @throws IllegalStateException otherwise */
    public T resultNow() {
        if (!done) throw new IllegalStateException("task '" + name + "' has not finished");
        if (failure != null) throw new IllegalStateException("task '" + name + "' did not finish normally: " + failure);
        return result;
    }

    /** The exception of a finished task that threw or was cancelled, else null. */
    public Throwable failure() {
        return done ? failure : null;
    }

    @Override
    public String toString() {
        return "Task[" + id + " " + name + (done ? (failure == null ? ", done" : ", failed: " + failure) : "") + "]";
    }

    // ---------------------------------------------------------------- internals

    TaskCancelledException cancelledException() {
        return new TaskCancelledException("task '" + name + "' was cancelled");
    }

    void addDoneCallback(Runnable r) {
        boolean now;
        synchronized (waiters) {
            now = done;
            if (!now) waiters.add(r);
        }
        if (now) r.run();
    }

    void removeDoneCallback(Runnable r) {
        synchronized (waiters) { waiters.remove(r); }
    }

    /** Body of the task's virtual thread (virtual-thread strands). */
    void threadMain() {
        while (!baton) LockSupport.park(this);
        baton = false;
        CURRENT.set(this);
        runBody();
        CURRENT.remove();
        scheduler.exited(this);
    }

    /** Body of the task's continuation (continuation strands); the scheduler sets CURRENT around each slice. */
    void continuationMain() {
        runBody();
    }

    /** The continuation running this task, when the scheduler uses continuations. */
    Object continuation;

    /** Runs one slice of a continuation task on the calling (scheduler) thread: until it waits or ends. */
    void runSlice() {
        CURRENT.set(this);
        try {
            Continuations.run(continuation);
        } finally {
            CURRENT.remove();
        }
    }

    private void runBody() {
        T value = null;
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

    private void complete(T value, Throwable error) {
        List<Object> toWake;
        synchronized (waiters) {
            result = value;
            failure = error;
            done = true;
            toWake = new ArrayList<>(waiters);
            waiters.clear();
        }
        if (error != null && !(error instanceof TaskCancelledException)) {
            if (scope != null) {
                observed = true;
                scope.childFailed(this, error);
            }
            scheduler.failed(this);
        }
        for (Object w : toWake) {
            if (w instanceof Node n) n.wake();
            else ((Runnable) w).run();
        }
    }

    T resultRaw() { return result; }
}
