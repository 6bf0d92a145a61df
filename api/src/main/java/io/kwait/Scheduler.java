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
 * {@value io.kwait.core.SchedulerCore#POLL_EVERY} switches so I/O is not starved by tasks that keep each other busy
 * (after a burst of more readinesses than that, every as many switches as readinesses whose tasks
 * have not run yet: the kernel hands each of them back to every poll until its task runs).
 *
 * <h2>The cooperative contract</h2>
 * A task keeps the scheduler until it reaches a wait ({@link Kernel#wait}, {@link Chan#send},
 * {@link Chan#receive}, {@link Task#join()}, {@link Task#sleep}) or {@link Task#yieldNow()}; there
 * is no preemption. So in a task, do not:
 * <ul>
 *   <li>call {@link Thread#sleep} (use {@link Task#sleep}), {@code Object.wait},
 *       {@code Future.get}, {@code CountDownLatch.await} or other blocking calls of the JDK;</li>
 *   <li>do blocking I/O: {@code InputStream.read}, a channel in blocking mode, JDBC, DNS
 *       ({@code InetAddress.getByName}), a blocking {@code Process.waitFor} (use
 *       {@link Event#exit} or {@link Child});</li>
 *   <li>wait for a lock another thread holds ({@code synchronized}, {@code ReentrantLock});</li>
 *   <li>compute for long, or busy-loop waiting for a flag; long loops can {@link Task#yieldNow()}.</li>
 * </ul>
 * On the continuation strand a blocked task blocks the one thread all tasks run on: every task
 * of the scheduler stops, and the kernel is not polled. On the virtual strand the JVM unmounts a
 * task's virtual thread from its carrier for most of those calls, so other virtual threads of the
 * JVM run on, but the task still holds the baton: no other task of its scheduler runs until it
 * returns. Either way the others stall; the two strands differ only in what else stalls.
 *
 * <p>Offload blocking or CPU-heavy work to another thread and wait for its result:
 * <pre>{@code
 * CompletableFuture<Report> job = CompletableFuture.supplyAsync(() -> render(data), executor);
 * Fired f = kernel.wait(List.of(Event.done(job)), Duration.ofSeconds(10)).get(0); // other tasks run meanwhile
 * }</pre>
 * or start a thread that sends results on a {@link Chan} a task receives from (a send from a plain
 * thread wakes the kernel). Memory visibility across the hand-over: what a sender did before
 * {@link Chan#send} happens-before what the receiver does after the matching {@link Chan#receive};
 * everything a task did happens-before the return of a {@link Task#join()} that sees it end; and
 * a stage's completion (with what its thread did before) happens-before the return of the wait
 * that reports {@link Event#done(java.util.concurrent.CompletionStage)} fired. Between tasks of one
 * scheduler no more is needed: one runs at a time, and each switch orders them.
 *
 * <p>A watchdog reports a task that ran longer than {@code -Dkwait.watchdog.ms} (default 2000;
 * {@code 0} turns it off) without reaching a wait or a yield: one WARNING per task on the
 * {@code System.Logger} {@code io.kwait.watchdog}, with the task's name and the stack it is at. Its
 * thread, {@code kwait-watchdog}, runs only while a scheduler does.
 */
public final class Scheduler {
    /** System property that forces the strand: {@code continuation} or {@code virtual}. */
    public static final String STRAND_PROPERTY = "kwait.scheduler";
    /** System property: the watchdog's threshold in milliseconds ({@code 0}: off); see "The cooperative contract". */
    public static final String WATCHDOG_PROPERTY = "kwait.watchdog.ms";

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
     * @throws IllegalArgumentException {@code -Dkwait.scheduler} or {@code -Dkwait.watchdog.ms} has a bad value
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
