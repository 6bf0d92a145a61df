package io.kwait.core;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.TimeSource;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.Source;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The loop behind a {@code Kernel}: the wait entry, one iteration ({@link #pollOnce}, whose steps
 * are those of {@code docs/design.md}), the inbox through which other threads reach the owner
 * thread, and one {@link Home} per resource kind.
 */
public final class Loop {
    static final System.Logger LOG = System.getLogger("io.kwait");

    final Backend backend;
    final TimeSource time;
    final Set<Capability> capabilities;
    final Ownership ownership = new Ownership();
    private final FdHome fds;
    private final ProcessHome processes;
    private final TimerHome timers;
    private final SignalHome signals;
    private final TaskHome tasks;
    private final ChanHome chans;
    private final StageHome stages;
    private final Home[] homes; // by Event.Kind ordinal
    /** Children started here ({@link io.kwait.Child}), held until reaped and drained. */
    final Children children = new Children();

    /** Children held ({@link Children}) and the platform threads they cost now; any thread. */
    public int[] childCounts() { return children.counts(); }
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;
    /** Bumped whenever something becomes runnable or a wait completes; a poll that sees it move does not block. */
    int progress;
    /**
     * A poll failure held back: it came in a wait that had committed a channel operation, which
     * returned that operation instead; the next wait on this kernel throws it. Owner thread only.
     */
    private RuntimeException heldFailure;

    public Loop(Backend backend, TimeSource time) {
        this.backend = backend;
        this.time = time;
        this.capabilities = Set.copyOf(backend.capabilities());
        fds = new FdHome(this);
        processes = new ProcessHome(this);
        timers = new TimerHome(time, backend::wakeup);
        signals = new SignalHome(this);
        tasks = new TaskHome(this);
        chans = new ChanHome(this);
        stages = new StageHome(this);
        homes = new Home[Event.Kind.values().length];
        for (Event.Kind k : Event.Kind.values()) {
            homes[k.ordinal()] = switch (k) {
                case CHANNEL, FD -> fds;
                case PROCESS -> processes;
                case TIMER_AFTER, TIMER_AT, TIMER_EVERY -> timers;
                case SIGNAL -> signals;
                case TASK -> tasks;
                case CHAN -> chans;
                case STAGE -> stages;
            };
        }
    }

    public Backend backend() { return backend; }

    public Set<Capability> capabilities() { return capabilities; }

    public TimeSource time() { return time; }

    public boolean isClosed() { return closed; }

    // ================================================================ the wait entry

    /** {@code Kernel.wait} after its argument checks: a task suspends, a plain thread polls. */
    public List<Fired> wait(Event[] list, Duration timeout) throws InterruptedException {
        if (closed) throw Access.api().closedKernel("kernel is closed; open a new one with Kernel.open()");
        TaskCore task = TaskCore.current();
        if (task != null) {
            if (task.scheduler.loop != this) {
                throw new IllegalStateException("this task belongs to a scheduler on another kernel (" + task.scheduler.loop
                        + "); a task may wait only on its own scheduler's kernel: use Scheduler.current().kernel(), or pass "
                        + "messages through a Chan");
            }
            if (task.cancelRequested) throw task.cancelledException();
            check(list);
            return waitInTask(task, list, timeout);
        }
        Thread me = Thread.currentThread();
        ownership.enterWait(me);
        try {
            // Again, now that this thread is published as the waiting one: close() sets the flag and
            // then looks for a waiting thread, so either it waits for us or we see the flag here.
            if (closed) throw Access.api().closedKernel("kernel is closed; open a new one with Kernel.open()");
            check(list);
            return waitOnThread(list, timeout);
        } finally {
            ownership.leaveWait(me);
        }
    }

    /**
     * {@code Kernel.watch} ({@code on}) or {@code unwatch}: for signal events only. Runs as the
     * owner, like a wait: from a task of this kernel's scheduler, or a plain thread while no
     * other waits.
     */
    public void watch(Event e, boolean on) {
        if (e.kind() != Event.Kind.SIGNAL) {
            throw new IllegalArgumentException("only signal events are watched between waits (" + e + "); every other kind "
                    + "is watched by the waits themselves, and what fires meanwhile is seen by the next wait");
        }
        if (closed) throw Access.api().closedKernel("kernel is closed; open a new one with Kernel.open()");
        TaskCore task = TaskCore.current();
        if (task != null && task.scheduler.loop == this) {
            if (on) signals.watch(e); else signals.unwatch(e);
            return;
        }
        Thread me = Thread.currentThread();
        ownership.enterWait(me);
        try {
            if (closed) throw Access.api().closedKernel("kernel is closed; open a new one with Kernel.open()"); // as in wait
            if (on) signals.watch(e); else signals.unwatch(e);
        } finally {
            ownership.leaveWait(me);
        }
    }

    /** Checks everything that can be checked before anything is subscribed. */
    private void check(Event[] list) {
        for (Event e : list) homes[e.kind().ordinal()].check(e);
    }

    private List<Fired> waitInTask(TaskCore task, Event[] list, Duration timeout) {
        throwHeldFailure();
        WaitCall call = new WaitCall(this, list, task, time.nanoTime());
        try {
            try {
                subscribeAll(call, timeout);
                if (!call.done) task.suspend(call.suspension); // a poll on the way may throw
            } catch (RuntimeException e) {
                holdIfCommitted(call, e);
            }
            // A channel operation that committed is never undone: a cancelled wait that made one returns it.
            if (!chans.settle(call)) throw task.cancelledException();
            List<Fired> results = call.results();
            call.completedNormally = true;
            return results;
        } finally {
            call.undoAll();
        }
    }

    private List<Fired> waitOnThread(Event[] list, Duration timeout) throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        throwHeldFailure();
        WaitCall call = new WaitCall(this, list, null, time.nanoTime());
        try {
            try {
                drainInbox();
                subscribeAll(call, timeout);
                while (!call.done) {
                    if (closed) {
                        if (chans.settle(call)) break; // a committed channel operation is returned, never dropped
                        throw Access.api().closedKernel("kernel was closed while waiting");
                    }
                    pollOnce(-1);
                    if (!call.done && Thread.interrupted()) {
                        if (!chans.settle(call)) throw new InterruptedException();
                        Thread.currentThread().interrupt(); // the committed wait returns; the next one sees the interrupt
                    }
                }
            } catch (RuntimeException e) {
                holdIfCommitted(call, e);
            }
            chans.settle(call);
            List<Fired> results = call.results();
            call.completedNormally = true;
            return results;
        } finally {
            call.undoAll();
        }
    }

    /**
     * A wait failed with {@code e} (a poll threw): rethrows it, unless the wait had committed a
     * channel operation, which is never undone; then that wait returns it and the next wait
     * throws {@code e} ({@link #heldFailure}).
     */
    private void holdIfCommitted(WaitCall call, RuntimeException e) {
        if (!chans.settleFailing(call)) throw e;
        if (heldFailure == null) heldFailure = e;
        else if (heldFailure != e) heldFailure.addSuppressed(e);
    }

    private void throwHeldFailure() {
        RuntimeException e = heldFailure;
        if (e == null) return;
        heldFailure = null;
        throw e;
    }

    private void subscribeAll(WaitCall call, Duration timeout) {
        for (int i = 0; i < call.events.length; i++) {
            Event e = call.events[i];
            homes[e.kind().ordinal()].subscribe(call, i, e);
        }
        chans.commitOrOffer(call, timeout != null && timeout.isZero()); // last: a bad subscription fails before a message moved
        if (call.done || (timeout != null && timeout.isZero())) {
            // Something fired at once, or a poll: collect whatever else is ready now, without blocking.
            pollOnce(0);
            call.timedOut();
        } else if (timeout != null) {
            timers.addTimeout(call, timeout);
        }
    }

    // ================================================================ one iteration

    /**
     * One iteration of the loop, blocking at most {@code maxWaitNanos} ({@code < 0}: until
     * something happens). Owner thread only.
     */
    public void pollOnce(long maxWaitNanos) {
        int before = progress;
        drainInbox();                                                  // 1. cross-thread posts
        timers.runDue();                                               // 2. due timers
        long timeout = progress != before || closed ? 0                // 3. no blocking once something is runnable,
                : fds.pollTimeout(timers.pollTimeout(maxWaitNanos));   //    else until the next deadline, the limit
        try {                                                          //    or the next closed-channel check
            backend.poll(timeout, this::dispatch);                     // 4. readiness, to the homes
        } catch (IOException e) {
            throw new UncheckedIOException("backend " + backend.name() + " failed to poll: " + e.getMessage(), e);
        }
        fds.checkClosed();                                             // 5. channels closed under a wait
        drainInbox();                                                  // 6. what the poll let in
        timers.runDue();
    }

    /**
     * How many switches the scheduler lets pass between two non-blocking polls:
     * {@link SchedulerCore#POLL_EVERY}, or as many as sources have fired bits, if more. A level-
     * triggered kernel hands every fired source that is still ready back to every poll (the
     * backend skips it, but epoll_wait or the JDK's selector has visited and copied it), and each
     * has a woken task in the run queue that will make it unready when it runs. So after a burst
     * of F readinesses a poll every 61 switches would visit about F * F / 122 sources in all;
     * spaced by F it visits about 2 * F, and a task woken meanwhile waits at most about twice as
     * long as the FIFO ahead of it would have made it wait anyway.
     */
    int switchesPerPoll() { return Math.max(SchedulerCore.POLL_EVERY, fds.firedCount()); }

    private void dispatch(Source source, int ready, int flags, long data, Throwable error) {
        if (source instanceof FdHome.Watch w) w.dispatch(ready, flags, data, error);
        else if (source instanceof ProcessHome.Watch p) p.dispatch(flags, data);
        else if (source instanceof ChildCore.ExitWatch c) c.child().exitNoticed();
    }

    /** Runs {@code r} on the owner thread: now if the caller is the owner, else at the next poll (waking it). */
    public void post(Runnable r) {
        if (ownership.isOwner()) {
            r.run();
        } else {
            inbox.add(r);
            backend.wakeup();
        }
    }

    public boolean isOwner() { return ownership.isOwner(); }

    private void drainInbox() {
        Runnable r;
        while ((r = inbox.poll()) != null) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "kwait: cross-thread event failed", e);
            }
        }
    }

    // ================================================================ stats and close

    /** fd watches, backend registrations, process watches, signal watches, stage watches, timers. */
    public int[] counts() {
        int fdWatches = fds.count(); // first: it drops idle watches of closed channels, and their registrations
        return new int[] {fdWatches, closed ? 0 : backend.registrationCount(), processes.count(), signals.count(),
                stages.count(), timers.count()};
    }

    /** Releases every watch and the backend; lets a plain thread blocked in wait leave first. */
    public void close() {
        if (ownership.scheduler() != null) {
            throw new IllegalStateException("a Scheduler is still running on this kernel; close the kernel after Scheduler.run returns");
        }
        if (closed) return;
        closed = true;
        backend.wakeup();
        Thread me = Thread.currentThread();
        // Let a plain thread blocked in wait() see the flag and leave; it owns the state until then.
        Thread w;
        while ((w = ownership.waitingThread()) != null && w != me) {
            backend.wakeup();
            LockSupport.parkNanos(1_000_000);
        }
        children.closeAll();
        signals.close();
        processes.close();
        fds.close();
        stages.close();
        tasks.close();
        chans.close();
        timers.close();
        inbox.clear();
        backend.close();
    }

    @Override
    public String toString() {
        return "Kernel[" + backend.name() + (closed ? ", closed" : "") + "]";
    }
}
