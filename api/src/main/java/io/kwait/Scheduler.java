package io.kwait;

import io.kwait.core.SchedulerCore;
import io.kwait.core.TaskCore;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * Runs cooperative {@link Task}s on one {@link Kernel}: one task at a time, switching only where a
 * task waits, in FIFO order.
 *
 * <pre>{@code
 * try (Kernel kernel = Kernel.open()) {
 *     String answer = Scheduler.run(kernel, () -> {
 *         Chan<String> chan = Chan.bounded(1);
 *         Task.spawn(() -> { chan.send("hello"); return null; });
 *         return chan.receive();
 *     });
 * }
 * }</pre>
 *
 * <p>{@link #run} returns when the root task returns; tasks still running then are cancelled and
 * waited for, so no task outlives its scheduler. Other threads may {@link #spawn} tasks into a
 * running scheduler, send on channels and cancel tasks; each of those wakes the kernel.
 *
 * <h2>Strands: continuations or virtual threads</h2>
 * A task runs on one of two strands, chosen when the scheduler starts:
 * <ul>
 *   <li><b>continuation</b> (used when the JVM exports {@code jdk.internal.vm} to kwait:
 *       {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}): every task is a
 *       {@code jdk.internal.vm.Continuation} run by the thread that called {@link #run}. A
 *       switch is a yield and a run on that one thread (about 90 ns each here). All tasks run on
 *       the scheduler's thread, so {@code Thread.currentThread()} and thread-locals are shared by
 *       its tasks.</li>
 *   <li><b>virtual</b> (the default with no flags): every task has its own virtual thread, but
 *       only the holder of the <em>baton</em> runs. A task that must wait picks the next runnable
 *       task and hands it the baton directly (a volatile flag plus {@code unpark}), then parks;
 *       when none is runnable, that task polls the kernel itself, so there is no scheduler thread
 *       in the middle.</li>
 * </ul>
 * {@code -Dkwait.scheduler=continuation|virtual} forces one (a forced continuation strand that
 * the JVM does not allow is an error with the flag to add). Semantics are the same on both; the
 * conformance suite runs on both. In both, the kernel is polled without blocking every
 * {@value io.kwait.core.SchedulerCore#POLL_EVERY} switches so I/O is not starved by tasks that keep each other busy.
 */
public final class Scheduler {
    /** System property that forces the strand: {@code continuation} or {@code virtual}. */
    public static final String STRAND_PROPERTY = "kwait.scheduler";

    private final Kernel kernel;
    private final SchedulerCore core;

    private Scheduler(Kernel kernel) {
        this.kernel = kernel;
        this.core = new SchedulerCore(kernel.loop, this);
    }

    /** The strand this scheduler's tasks run on: {@code "continuation"} or {@code "virtual"}. */
    public String strand() { return core.strandName(); }

    /**
     * Runs {@code body} as the root task of a new scheduler on {@code kernel} and returns its
     * value once it and every task still running have finished (those are cancelled when the
     * root returns). Blocks the calling thread, which must not be a task.
     *
     * @throws ExecutionException     the root task threw (the cause is its exception)
     * @throws InterruptedException   the calling thread was interrupted: every task was cancelled and has finished
     * @throws IllegalStateException  called from a task, or another scheduler or thread already uses the kernel
     * @throws ClosedKernelException  the kernel is closed
     */
    @SuppressWarnings("unchecked")
    public static <T> T run(Kernel kernel, Callable<T> body) throws InterruptedException, ExecutionException {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(body, "body");
        if (TaskCore.current() != null) {
            throw new IllegalStateException("Scheduler.run called inside a task; spawn a task instead (Task.spawn)");
        }
        if (kernel.isClosed()) throw new ClosedKernelException("kernel is closed; open a new one with Kernel.open()");
        return (T) new Scheduler(kernel).core.run(body);
    }

    /** The scheduler of the calling task. @throws IllegalStateException outside a task */
    public static Scheduler current() {
        return Task.current().scheduler();
    }

    /** The kernel this scheduler runs on. */
    public Kernel kernel() { return kernel; }

    /** Whether the scheduler has ended. */
    public boolean isFinished() { return core.isFinished(); }

    /**
     * Spawns a task; thread-safe. From a task of this scheduler it is queued at once; from any
     * other thread it is handed over through the kernel, which it wakes.
     *
     * @throws IllegalStateException the scheduler has ended
     */
    public <T> Task<T> spawn(Callable<T> body) {
        return spawn(null, body);
    }

    /** Like {@link #spawn(Callable)}, with a name. */
    @SuppressWarnings("unchecked")
    public <T> Task<T> spawn(String name, Callable<T> body) {
        Objects.requireNonNull(body, "body");
        return (Task<T>) core.spawn(name, body, null).handle();
    }

    /** Spawns a child of {@code scope}. */
    @SuppressWarnings("unchecked")
    <T> Task<T> spawnIn(String name, Callable<T> body, TaskScope scope) {
        Objects.requireNonNull(body, "body");
        return (Task<T>) core.spawn(name, body, (t, error) -> scope.childFailed(t.handle(), error)).handle();
    }

    @Override
    public String toString() { return core.toString(); }
}
