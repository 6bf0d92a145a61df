package io.kwait;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;

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
 * {@value #POLL_EVERY} switches so I/O is not starved by tasks that keep each other busy.
 */
public final class Scheduler {
    static final int POLL_EVERY = 61;
    /** System property that forces the strand: {@code continuation} or {@code virtual}. */
    public static final String STRAND_PROPERTY = "kwait.scheduler";

    final Kernel kernel;
    private final ArrayDeque<Task<?>> runQueue = new ArrayDeque<>();
    private final LinkedHashSet<Task<?>> live = new LinkedHashSet<>();
    private final List<Task<?>> failures = new ArrayList<>();
    private final Object externalLock = new Object();
    private final Thread runner;
    /** Tasks are continuations run by {@link #runner} (true) or virtual threads handing a baton (false). */
    private final boolean continuations;
    private Task<?> root;
    private volatile boolean finished;
    private long nextId = 1;
    private int sincePoll;

    private Scheduler(Kernel kernel, Thread runner) {
        this.kernel = kernel;
        this.runner = runner;
        this.continuations = useContinuations();
    }

    private static boolean useContinuations() {
        String forced = System.getProperty(STRAND_PROPERTY, "").trim();
        switch (forced) {
            case "", "auto" -> { return Continuations.UNAVAILABLE == null; }
            case "virtual" -> { return false; }
            case "continuation" -> {
                if (Continuations.UNAVAILABLE != null) {
                    throw new IllegalStateException("-D" + STRAND_PROPERTY + "=continuation is not possible: " + Continuations.UNAVAILABLE);
                }
                return true;
            }
            default -> throw new IllegalArgumentException("-D" + STRAND_PROPERTY + "=" + forced
                    + " is not a strand; use continuation, virtual or auto");
        }
    }

    /** The strand this scheduler's tasks run on: {@code "continuation"} or {@code "virtual"}. */
    public String strand() {
        return continuations ? "continuation" : "virtual";
    }

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
    public static <T> T run(Kernel kernel, Callable<T> body) throws InterruptedException, ExecutionException {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(body, "body");
        if (Task.currentOrNull() != null) {
            throw new IllegalStateException("Scheduler.run called inside a task; spawn a task instead (Task.spawn)");
        }
        if (kernel.isClosed()) throw new ClosedKernelException("kernel is closed; open a new one with Kernel.open()");
        Scheduler s = new Scheduler(kernel, Thread.currentThread());
        synchronized (kernel) {
            if (kernel.scheduler != null) throw new IllegalStateException("another Scheduler is already running on this kernel");
            kernel.scheduler = s; // before looking at owner: a plain wait sets owner, then looks at scheduler
            if (kernel.owner != null) {
                kernel.scheduler = null;
                throw new IllegalStateException("a thread is waiting on this kernel; a Scheduler needs it alone");
            }
        }
        boolean interrupted = false;
        Task<T> root;
        try {
            root = s.newTask("main", body, null);
            s.root = root;
            s.live.add(root);
            if (s.continuations) {
                interrupted = s.drive(root);
            } else {
                s.handoff(root);
                while (!s.finished) {
                    LockSupport.park(s);
                    if (Thread.interrupted() && !interrupted) {
                        interrupted = true;
                        s.cancelAllFromOutside();
                    }
                }
            }
        } finally {
            kernel.owner = null;
            kernel.scheduler = null;
        }
        s.reportUnobserved();
        if (interrupted) throw new InterruptedException("Scheduler.run was interrupted; every task was cancelled");
        return root.join();
    }

    /** The scheduler of the calling task. @throws IllegalStateException outside a task */
    public static Scheduler current() {
        return Task.current().scheduler;
    }

    /** The kernel this scheduler runs on. */
    public Kernel kernel() { return kernel; }

    /** Whether the scheduler has ended. */
    public boolean isFinished() { return finished; }

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
    public <T> Task<T> spawn(String name, Callable<T> body) {
        return spawnIn(name, body, null);
    }

    <T> Task<T> spawnIn(String name, Callable<T> body, TaskScope scope) {
        Objects.requireNonNull(body, "body");
        Task<?> me = Task.currentOrNull();
        if (me != null && me.scheduler == this) {
            Task<T> t = newTask(name, body, scope);
            live.add(t);
            runQueue.add(t);
            kernel.progress++;
            return t;
        }
        synchronized (externalLock) {
            if (finished) throw new IllegalStateException("the scheduler has ended; start a new one with Scheduler.run");
            Task<T> t;
            synchronized (this) { t = newTask(name, body, scope); }
            kernel.post(() -> {
                if (finished) {
                    t.completeUnstarted();
                } else {
                    live.add(t);
                    runQueue.add(t);
                    kernel.progress++;
                }
            });
            return t;
        }
    }

    private <T> Task<T> newTask(String name, Callable<T> body, TaskScope scope) {
        long id = nextId++;
        Task<T> t = new Task<>(this, id, name != null ? name : "task-" + id, body, scope);
        if (continuations) {
            t.continuation = Continuations.create(t::continuationMain);
        } else {
            t.thread = Thread.ofVirtual().name("kwait-" + t.name()).unstarted(t::threadMain);
        }
        return t;
    }

    // ---------------------------------------------------------------- switching (owner thread only)

    /** Suspends {@code self} until {@code node} is woken or the task is cancelled. */
    void suspend(Task<?> self, Node node) {
        if (self.cancelRequested && !self.uncancellable) return; // a cancellation point: the caller throws
        if (node.isWoken()) return;
        self.parkedOn = node;
        switchAway(self);
    }

    /** Suspends {@code self} until {@code node} is woken; cancellation does not end it. */
    void suspendUncancellable(Task<?> self, Node node) {
        boolean was = self.uncancellable;
        self.uncancellable = true;
        try {
            if (node.isWoken()) return;
            self.parkedOn = node;
            switchAway(self);
        } finally {
            self.uncancellable = was;
        }
    }

    void yieldTask(Task<?> self) {
        runQueue.add(self);
        kernel.progress++;
        switchAway(self);
    }

    private void switchAway(Task<?> self) {
        if (continuations) {
            Continuations.yieldNow(); // back to drive(), which picks the next task
            return;
        }
        Task<?> next;
        try {
            next = pickNext();
        } catch (RuntimeException | Error e) {
            self.parkedOn = null;
            runQueue.remove(self);
            throw e;
        }
        if (next == self) return;
        handoff(next);
        while (!self.baton) LockSupport.park(this);
        self.baton = false;
    }

    /** The next task to run; polls the kernel, blocking while nothing is runnable. */
    private Task<?> pickNext() {
        if (!runQueue.isEmpty() && ++sincePoll >= POLL_EVERY) {
            sincePoll = 0;
            kernel.pollOnce(0);
        }
        Task<?> t;
        while ((t = runQueue.poll()) == null) {
            sincePoll = 0;
            kernel.pollOnce(-1);
            if (continuations && Thread.interrupted() && !runnerInterrupted) {
                // The thread in Scheduler.run was interrupted while it polled: cancel every task.
                runnerInterrupted = true;
                for (Task<?> x : new ArrayList<>(live)) x.cancel();
            }
        }
        return t;
    }

    private void handoff(Task<?> next) {
        kernel.owner = next.thread;
        next.baton = true;
        if (!next.started) {
            next.started = true;
            next.thread.start();
        } else {
            LockSupport.unpark(next.thread);
        }
    }

    /** Makes a suspended task runnable if it is still suspended on {@code node}. Owner thread only. */
    private void makeRunnable(Task<?> t, Node node) {
        if (t.parkedOn == node && node != null) {
            t.parkedOn = null;
            runQueue.add(t);
            kernel.progress++;
        }
    }

    /** Wakes {@code t} suspended on {@code node}; any thread. */
    void wake(Task<?> t, Node node) {
        kernel.post(() -> makeRunnable(t, node));
    }

    /** Delivers a cancellation; any thread. */
    void cancel(Task<?> t) {
        kernel.post(() -> {
            if (t.parkedOn != null && !t.uncancellable) makeRunnable(t, t.parkedOn);
        });
    }

    private void cancelAllFromOutside() {
        kernel.post(() -> {
            for (Task<?> t : new ArrayList<>(live)) t.cancel();
        });
    }

    /**
     * The continuation strand's loop, on the thread that called {@link #run}: run the next task
     * until it waits or ends, repeat until no task is left. Returns whether the thread was
     * interrupted (then every task was cancelled).
     */
    private boolean drive(Task<?> first) {
        kernel.owner = runner;
        runQueue.add(first);
        while (!live.isEmpty()) {
            Task<?> t = pickNext();
            if (Thread.interrupted() && !runnerInterrupted) {
                runnerInterrupted = true;
                for (Task<?> x : new ArrayList<>(live)) x.cancel();
            }
            t.runSlice();
            if (t.isDone() && Continuations.isDone(t.continuation)) {
                live.remove(t);
                if (t == root) {
                    for (Task<?> x : new ArrayList<>(live)) x.cancel();
                }
            }
        }
        synchronized (externalLock) { finished = true; }
        kernel.pollOnce(0); // runs late spawns (completing them unstarted) and other posted work
        kernel.owner = null;
        return runnerInterrupted;
    }

    /** Continuation strand: the thread in {@link #run} was interrupted (every task then cancelled). */
    private boolean runnerInterrupted;

    /** Called by a task's thread after its body finished; hands the baton on, never parks. */
    void exited(Task<?> self) {
        live.remove(self);
        if (self == root) {
            for (Task<?> t : new ArrayList<>(live)) t.cancel();
        }
        if (live.isEmpty()) {
            synchronized (externalLock) { finished = true; }
            kernel.owner = Thread.currentThread();
            kernel.pollOnce(0); // runs late spawns (completing them unstarted) and other posted work
            kernel.owner = null;
            LockSupport.unpark(runner);
            return;
        }
        handoff(pickNext());
    }

    void failed(Task<?> t) {
        synchronized (failures) { failures.add(t); }
    }

    private void reportUnobserved() {
        List<Task<?>> list;
        synchronized (failures) { list = new ArrayList<>(failures); }
        for (Task<?> t : list) {
            if (t.observed || t == root) continue;
            Throwable e = t.failure();
            Thread.UncaughtExceptionHandler h = Thread.getDefaultUncaughtExceptionHandler();
            if (h != null) {
                h.uncaughtException(t.thread != null ? t.thread : runner, e);
            } else {
                System.err.println("kwait: task '" + t.name() + "' failed and no one joined it:");
                e.printStackTrace();
            }
        }
    }

    @Override
    public String toString() {
        return "Scheduler[" + kernel + ", " + live.size() + " live" + (finished ? ", finished" : "") + "]";
    }
}
