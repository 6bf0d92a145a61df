package io.kwait.core;

import io.kwait.Scheduler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The state behind a public {@link Scheduler}: the run queue both strands share, the live tasks,
 * spawning from any thread, cancellation delivery, and the end of the run. Everything but
 * {@link #spawn}, {@link #wake} and {@link #deliverCancel} runs on the kernel's owner thread.
 */
public final class SchedulerCore {
    /**
     * The kernel is polled without blocking every this many switches, so I/O is not starved; or
     * after as many switches as sources have fired bits, if more ({@code Loop.switchesPerPoll()}).
     */
    public static final int POLL_EVERY = 61;

    final Loop loop;
    final Strand strand;
    final Thread runner;
    /** What runs now, for the {@link Watchdog}; the strands stamp it at each resume and suspension. */
    final Watchdog.Stamp stamp;
    private final Scheduler handle;
    private final ArrayDeque<TaskCore> runQueue = new ArrayDeque<>();
    private final LinkedHashSet<TaskCore> live = new LinkedHashSet<>();
    private final List<TaskCore> failures = new ArrayList<>();
    private final Object externalLock = new Object();
    private final AtomicLong nextId = new AtomicLong(1);
    private TaskCore root;
    /** No task may join any more (guarded by externalLock). */
    private boolean closing;
    private volatile boolean finished;
    private boolean runnerInterrupted; // touched by the runner thread only
    private int sincePoll;

    public SchedulerCore(Loop loop, Scheduler handle) {
        this.loop = loop;
        this.handle = handle;
        this.runner = Thread.currentThread();
        this.strand = Strand.choose(this);
        this.stamp = new Watchdog.Stamp(this, Watchdog.thresholdMs());
    }

    public Scheduler handle() { return handle; }

    public String strandName() { return strand.name(); }

    public boolean isFinished() { return finished; }

    boolean hasLive() { return !live.isEmpty(); }

    /**
     * Runs {@code body} as the root task and every task it leads to, on the calling thread's
     * behalf; returns the root's value once none is left.
     */
    public Object run(Callable<?> body) throws InterruptedException, ExecutionException {
        loop.ownership.attach(this);
        try {
            Watchdog.watch(stamp);
            root = strand.newTask(nextId.getAndIncrement(), "main", body, null);
            live.add(root);
            strand.drive(root);
        } finally {
            Watchdog.unwatch(stamp);
            loop.ownership.detach(this);
        }
        reportUnobserved();
        if (runnerInterrupted) throw new InterruptedException("Scheduler.run was interrupted; every task was cancelled");
        return root.join();
    }

    /**
     * Spawns a task; thread-safe. From a task of this scheduler it is queued at once; from any
     * other thread it is posted to the owner thread, waking the kernel.
     *
     * @throws IllegalStateException the scheduler has ended
     */
    public TaskCore spawn(String name, Callable<?> body, BiConsumer<TaskCore, Throwable> onFailure) {
        TaskCore me = TaskCore.current();
        if (me != null && me.scheduler == this) {
            TaskCore t = newTask(name, body, onFailure);
            live.add(t);
            enqueue(t);
            return t;
        }
        synchronized (externalLock) {
            if (closing) throw new IllegalStateException("the scheduler has ended; start a new one with Scheduler.run");
            TaskCore t = newTask(name, body, onFailure);
            loop.post(() -> {
                if (closing) {
                    t.completeUnstarted();
                } else {
                    live.add(t);
                    enqueue(t);
                }
            });
            return t;
        }
    }

    private TaskCore newTask(String name, Callable<?> body, BiConsumer<TaskCore, Throwable> onFailure) {
        long id = nextId.getAndIncrement();
        return strand.newTask(id, name != null ? name : "task-" + id, body, onFailure);
    }

    // ---------------------------------------------------------------- the run queue (owner thread)

    void enqueue(TaskCore t) {
        runQueue.add(t);
        loop.progress++;
    }

    /** Takes {@code t} back after a failed switch: it runs on, neither queued nor suspended. */
    void unqueue(TaskCore t) {
        t.suspendedOn = null;
        runQueue.remove(t);
    }

    /** The next task to run; polls the kernel, blocking while nothing is runnable. */
    TaskCore next() {
        if (!runQueue.isEmpty() && ++sincePoll >= loop.switchesPerPoll()) {
            sincePoll = 0;
            loop.pollOnce(0);
        }
        TaskCore t;
        while ((t = runQueue.poll()) == null) {
            sincePoll = 0;
            loop.pollOnce(-1);
            // The thread in Scheduler.run (continuation strand) was interrupted while it polled.
            if (Thread.currentThread() == runner && Thread.interrupted()) runnerInterrupted();
        }
        return t;
    }

    /** Makes {@code t} runnable if it is still suspended on {@code s}. Owner thread only. */
    void makeRunnable(TaskCore t, Suspension s) {
        if (s != null && t.suspendedOn == s) {
            t.suspendedOn = null;
            enqueue(t);
        }
    }

    /** Wakes {@code t} suspended on {@code s}; any thread, straight to the run queue on the owner thread. */
    void wake(TaskCore t, Suspension s) {
        if (loop.isOwner()) makeRunnable(t, s);
        else loop.post(() -> makeRunnable(t, s));
    }

    /** Delivers a cancellation; any thread. */
    void deliverCancel(TaskCore t) {
        loop.post(() -> {
            if (t.suspendedOn != null && !t.uncancellable) makeRunnable(t, t.suspendedOn);
        });
    }

    /** Cancels every live task. Owner thread only. */
    private void cancelAll() {
        for (TaskCore t : new ArrayList<>(live)) t.cancel();
    }

    /** The thread in {@code Scheduler.run} was interrupted: every task is cancelled (once). Runner thread only. */
    void runnerInterrupted() {
        if (runnerInterrupted) return;
        runnerInterrupted = true;
        loop.post(this::cancelAll);
    }

    /** {@code t} has ended; returns whether it was the last. Owner thread only. */
    boolean ended(TaskCore t) {
        live.remove(t);
        if (t == root) cancelAll(); // no task outlives the root
        return live.isEmpty();
    }

    /**
     * The last task ended: refuse new tasks, complete late ones unstarted, give up the kernel, and
     * only then publish {@link #isFinished()}: {@code Scheduler.run} returns on it, and its caller
     * may close the kernel at once, so no poll may follow it.
     */
    void finish() {
        synchronized (externalLock) { closing = true; }
        loop.pollOnce(0); // runs late spawns (completing them unstarted) and other posted work
        loop.ownership.handTo(null);
        finished = true;
    }

    // ---------------------------------------------------------------- failures

    void failed(TaskCore t) {
        synchronized (failures) { failures.add(t); }
    }

    private void reportUnobserved() {
        List<TaskCore> list;
        synchronized (failures) { list = new ArrayList<>(failures); }
        for (TaskCore t : list) {
            if (t.observed || t == root) continue;
            Throwable e = t.failure();
            Thread.UncaughtExceptionHandler h = Thread.getDefaultUncaughtExceptionHandler();
            if (h != null) {
                h.uncaughtException(t.thread(), e);
            } else {
                System.err.println("kwait: task '" + t.name + "' failed and no one joined it:");
                e.printStackTrace();
            }
        }
    }

    @Override
    public String toString() {
        return "Scheduler[" + loop + ", " + live.size() + " live" + (finished ? ", finished" : "") + "]";
    }
}
