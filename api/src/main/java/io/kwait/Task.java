package io.kwait;

import io.kwait.core.TaskCore;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

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
 * <p>A task must not block its thread or compute for long without waiting: while it runs, no
 * other task of its scheduler does. See "The cooperative contract" in {@link Scheduler} for what
 * to avoid and how to offload such work; a watchdog reports a task that runs too long
 * ({@code -Dkwait.watchdog.ms}). Everything a task did happens-before the return of a
 * {@link #join()} (and of a wait on {@link Event#done(Task)}) that sees it finish.
 *
 * <p>Maintainers: this is a handle; the state is an {@code io.kwait.core.TaskCore}, run by one of
 * the two strands (see {@link Scheduler}).
 *
 * @param <T> the result type
 */
public final class Task<T> {
    final TaskCore core;

    Task(TaskCore core) { this.core = core; }

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
        TaskCore me = TaskCore.current();
        if (me == null) {
            throw new IllegalStateException("Task.spawn called outside a task; use Scheduler.run(kernel, body) to start one, "
                    + "or scheduler.spawn(body) from another thread");
        }
        return me.scheduler.handle().spawn(name, body);
    }

    /**
     * The task running on the calling thread.
     *
     * @throws IllegalStateException the caller is not a task; {@link #inTask()} tells first
     */
    public static Task<?> current() {
        TaskCore t = TaskCore.current();
        if (t == null) {
            throw new IllegalStateException("not inside a kwait task; check with Task.inTask(), and run code as a task "
                    + "with Scheduler.run(kernel, body) or scheduler.spawn(body)");
        }
        return t.handle();
    }

    /** Whether the calling code runs in a kwait task. */
    public static boolean inTask() { return TaskCore.current() != null; }

    /**
     * Lets every other runnable task of this scheduler run once, then continues. Outside a task,
     * {@link Thread#yield()}.
     *
     * @throws TaskCancelledException the task was cancelled
     */
    public static void yieldNow() {
        TaskCore me = TaskCore.current();
        if (me == null) {
            Thread.yield();
            return;
        }
        if (me.isCancelRequested() && !me.isUncancellable()) throw me.cancelledException();
        me.yieldNow();
        if (me.isCancelRequested()) throw me.cancelledException();
    }

    /**
     * Suspends the current task for {@code d} on its kernel's clock (other tasks run meanwhile);
     * outside a task, {@link Thread#sleep}.
     */
    public static void sleep(Duration d) throws InterruptedException {
        Objects.requireNonNull(d, "duration");
        if (d.isNegative()) throw new IllegalArgumentException("negative sleep " + d);
        TaskCore me = TaskCore.current();
        if (me == null) {
            Thread.sleep(d);
            return;
        }
        me.scheduler.handle().kernel().wait(List.of(Event.after(d)), null);
    }

    // ---------------------------------------------------------------- instance API

    /** Sequential id within the scheduler, from 1 (the root task). */
    public long id() { return core.id; }

    /** The task's name. */
    public String name() { return core.name; }

    /** The scheduler it belongs to. */
    public Scheduler scheduler() { return core.scheduler.handle(); }

    /** Whether it finished: returned, threw, or was cancelled. */
    public boolean isDone() { return core.isDone(); }

    /** Whether it finished because it was cancelled. */
    public boolean isCancelled() { return core.isDone() && core.failure() instanceof TaskCancelledException; }

    /**
     * Waits for the task to finish and returns its value. Suspends only the calling task; from a
     * plain thread, blocks it.
     *
     * @throws ExecutionException     the task threw (the cause is its exception)
     * @throws TaskCancelledException the task was cancelled, or the calling task was
     * @throws InterruptedException   the calling plain thread was interrupted
     * @throws IllegalStateException  a task joins itself
     */
    @SuppressWarnings("unchecked")
    public T join() throws InterruptedException, ExecutionException {
        return (T) core.join();
    }

    /**
     * Asks the task to stop: it leaves its current (or next) wait with {@link TaskCancelledException}.
     * A task that has not started never runs. Thread-safe.
     *
     * @return false if it had already finished
     */
    public boolean cancel() { return core.cancel(); }

    /** The value of a task that finished normally. @throws IllegalStateException otherwise */
    @SuppressWarnings("unchecked")
    public T resultNow() {
        if (!core.isDone()) throw new IllegalStateException("task '" + core.name + "' has not finished");
        Throwable failure = core.failure();
        if (failure != null) throw new IllegalStateException("task '" + core.name + "' did not finish normally: " + failure);
        return (T) core.result();
    }

    /** The exception of a finished task that threw or was cancelled, else null. */
    public Throwable failure() { return core.failure(); }

    @Override
    public String toString() { return core.toString(); }
}
