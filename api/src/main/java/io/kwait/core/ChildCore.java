package io.kwait.core;

import io.kwait.Child;
import io.kwait.Event;
import io.kwait.Fired;

import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.Source;
import io.kwait.spi.SpawnedProcess;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.CompletionStage;

/**
 * The core of a {@link Child}: start (natively through the backend's {@link io.kwait.spi.Spawner},
 * else {@link RelayedProcess}), the exit watch, reaping exactly once, subscriptions of
 * {@code Event.exit(child)}, and what its owner's end does. The public {@link Child} delegates here.
 * Owner-thread only, except where a method says otherwise.
 */
public final class ChildCore {
    final Loop loop;
    private final Child facade;
    private final SpawnedProcess process;
    private final long pid;
    private final ProcessHandle handle;
    private final Child.Owner owner;
    private final String command;
    private final Event stdoutEvent, stderrEvent;
    private Event exitEvent;
    private final ExitWatch watch;
    private volatile int status = -1;
    private volatile boolean exited;
    /** A wait handed out this child's EXIT: {@link #events()} stops offering it. */
    private boolean exitReported;
    private boolean watchArmed, retryScheduled;
    final ArrayList<Subscription> subs = new ArrayList<>(1);
    private TaskCore ownerTask;
    private Runnable ownerTaskCallback;


    /** The kernel's readiness source for this child's exit (pidfd, EVFILT_PROC). */
    final class ExitWatch extends Source {
        ExitWatch() { super(Kind.PROCESS, ChildCore.this.pid); }

        ChildCore child() { return ChildCore.this; }
    }

    private ChildCore(Loop loop, Child facade, SpawnedProcess process, Child.Owner owner, String command) {
        this.loop = loop;
        this.facade = facade;
        this.process = process;
        this.pid = process.pid();
        this.handle = ProcessHandle.of(pid).orElse(null);
        this.owner = owner;
        this.command = command;
        this.stdoutEvent = process.stdout() != null ? Event.readable(process.stdout()) : null;
        this.stderrEvent = process.stderr() != null ? Event.readable(process.stderr()) : null;
        this.watch = new ExitWatch();
    }

    // ================================================================ starting

    /** {@link Child#start(io.kwait.Kernel, ProcessBuilder, Child.Owner)}, with the kernel's loop. */
    public static ChildCore start(Loop loop, Child facade, ProcessBuilder builder, Child.Owner owner) throws IOException {
        Objects.requireNonNull(builder, "builder");
        Objects.requireNonNull(owner, "owner");
        List<String> cmd = List.copyOf(builder.command()); // NullPointerException for a null element, as the JDK
        if (cmd.isEmpty()) {
            throw new IOException("Cannot run program: the command is empty; give the ProcessBuilder a program"
                    + " and its arguments, e.g. new ProcessBuilder(\"ls\", \"-l\")");
        }
        if (loop.isClosed()) throw Access.api().closedKernel("kernel is closed; start children on an open kernel");
        SpawnedProcess p = null;
        if (loop.capabilities().contains(Capability.SPAWN) && !"false".equalsIgnoreCase(System.getProperty(Child.NATIVE_PROPERTY))) {
            try {
                p = loop.backend().spawner().spawn(builder);
            } catch (UnsupportedOperationException portableOnly) {
                Loop.LOG.log(System.Logger.Level.DEBUG, "kwait: starting " + cmd.get(0) + " the portable way: "
                        + portableOnly.getMessage());
            }
        }
        if (p == null) p = RelayedProcess.start(builder);
        ChildCore child = new ChildCore(loop, facade, p, owner, cmd.get(0));
        if (!loop.children.add(child)) {
            child.killAndReap();
            throw Access.api().closedKernel("kernel was closed while the child started; it was killed");
        }
        if (owner == Child.Owner.TASK) {
            TaskCore t = TaskCore.current();
            if (t != null && t.scheduler.loop == loop) child.ownTask(t);
        }
        loop.post(child::arm);
        return child;
    }

    /** Owner thread: watch the exit natively where the backend can, else through a stage. */
    private void arm() {
        if (exited || loop.isClosed()) return;
        CompletionStage<?> stage = process.exitStage();
        if (stage == null && loop.capabilities().contains(Capability.PROCESS_EXIT)) {
            try {
                loop.backend().register(watch, Interest.EXIT);
                watchArmed = true;
                return;
            } catch (IOException | IllegalArgumentException refused) {
                Loop.LOG.log(System.Logger.Level.DEBUG, "kwait: native exit watch refused for child " + pid
                        + ", watching it with a thread", refused);
            }
        }
        if (stage == null) stage = process.exitStageFallback();
        stage.whenComplete((x, err) -> loop.post(this::exitNoticed));
    }

    private void ownTask(TaskCore t) {
        ownerTask = t;
        ownerTaskCallback = () -> loop.post(() -> {
            if (!exited) terminateQuietly("KILL");
        });
        t.addDoneCallback(ownerTaskCallback);
    }

    // ================================================================ the public face

    /** The child's process id. */
    public long pid() { return pid; }

    /**
     * The child as a {@link ProcessHandle} (for {@code info()}, {@code children()} ...). Its
     * {@code onExit()} costs a JDK thread; wait for {@link Event#exit(Child)} instead.
     *
     * @throws IllegalStateException the child had already been reaped when kwait looked it up
     */
    public ProcessHandle toHandle() {
        if (handle == null) throw new IllegalStateException("child " + pid + " had already exited when it was started");
        return handle;
    }

    /**
     * The child's stdin: a non-blocking channel to write to, usable in {@link Event#writable}.
     * Close it to give the child end of file.
     *
     * @throws IllegalStateException stdin is not {@code Redirect.PIPE} (it was redirected)
     */
    public Pipe.SinkChannel stdin() {
        Pipe.SinkChannel c = process.stdin();
        if (c == null) throw notAPipe("stdin");
        return c;
    }

    /**
     * The child's stdout: a non-blocking channel to read from, usable in {@link Event#readable}.
     *
     * @throws IllegalStateException stdout is not {@code Redirect.PIPE} (it was redirected)
     */
    public Pipe.SourceChannel stdout() {
        Pipe.SourceChannel c = process.stdout();
        if (c == null) throw notAPipe("stdout");
        return c;
    }

    /**
     * The child's stderr: a non-blocking channel to read from, usable in {@link Event#readable}.
     *
     * @throws IllegalStateException stderr is not {@code Redirect.PIPE}: redirected, or merged into
     *                               stdout by {@code redirectErrorStream(true)}
     */
    public Pipe.SourceChannel stderr() {
        Pipe.SourceChannel c = process.stderr();
        if (c == null) throw notAPipe("stderr");
        return c;
    }

    private IllegalStateException notAPipe(String which) {
        return new IllegalStateException(which + " of child " + pid + " (" + command + ") is not a pipe: the ProcessBuilder"
                + " redirected it" + (which.equals("stderr") ? " (or merged it into stdout with redirectErrorStream(true))" : "")
                + "; leave it at Redirect.PIPE to read or write it here");
    }

    /**
     * What is still worth waiting for, to read the child to the end: {@code readable(stdout)} and
     * {@code readable(stderr)} while they are pipes not yet closed, and {@code exit(child)} until
     * a wait has reported its EXIT. The same {@code Event} objects every time; empty when
     * {@link #isFinished()}. Call it from the thread (or task) that waits.
     */
    private Event exitEvent() {
        if (exitEvent == null) exitEvent = Event.exit(facade);
        return exitEvent;
    }

    public List<Event> events() {
        ArrayList<Event> list = new ArrayList<>(3);
        if (stdoutEvent != null && process.stdout().isOpen()) list.add(stdoutEvent);
        if (stderrEvent != null && process.stderr().isOpen()) list.add(stderrEvent);
        if (!exitReported) list.add(exitEvent());
        return list;
    }

    /**
     * Whether a wait has reported the child's EXIT and its stdout and stderr pipes are closed (the
     * caller closes each after reading -1 from it): the end of a loop over {@link #events()}.
     */
    public boolean isFinished() {
        return exitReported && (stdoutEvent == null || !process.stdout().isOpen())
                && (stderrEvent == null || !process.stderr().isOpen());
    }

    /** Whether its exit was seen (by a wait on its kernel, or when the kernel closed). */
    public boolean hasExited() { return exited; }

    /** The exit status once {@link #hasExited()} (as {@link Process#exitValue()}), else empty. */
    public OptionalInt exitStatus() {
        return exited ? OptionalInt.of(status) : OptionalInt.empty();
    }

    /**
     * Sends a signal by name ({@code "TERM"}, {@code "INT"}, {@code "HUP"}, {@code "USR1"},
     * {@code "KILL"} ..., with or without {@code SIG}). Does nothing once the child was reaped:
     * kwait reaps only on its kernel's thread and never signals after, so a signal cannot reach a
     * process that took over the pid.
     *
     * @throws UnsupportedOperationException a child started the portable way takes TERM and KILL only
     * @throws IllegalArgumentException      an unknown signal name
     * @throws IOException                   the OS refused
     */
    public void signal(String name) throws IOException {
        Objects.requireNonNull(name, "name");
        String n = name.toUpperCase(java.util.Locale.ROOT);
        if (n.startsWith("SIG")) n = n.substring(3);
        process.signal(n);
    }

    /** Asks the child to stop: SIGTERM (as {@link Process#destroy()}). */
    public void terminate() throws IOException { process.signal("TERM"); }

    /** Kills the child: SIGKILL (as {@link Process#destroyForcibly()}). */
    public void kill() throws IOException { process.signal("KILL"); }

    /**
     * Platform threads this child costs while it runs: 0 where the backend spawns it
     * ({@link Capability#SPAWN}); otherwise one relay per {@code PIPE} plus the JDK's reaper.
     */
    public int relayThreads() { return process.threads(); }

    /** The kernel that started it. */
    

    @Override
    public String toString() {
        return "Child[" + pid + " " + command + (exited ? ", exited " + status : "") + "]";
    }

    // ================================================================ the kernel's side (owner thread)

    /** ProcessHome.check: an exit event of a child of another kernel is a call error. */
    void checkLoop(Loop l) {
        if (l != loop) {
            throw new IllegalArgumentException(facade + " belongs to " + loop + ", not " + l
                    + "; wait for a child on the kernel that started it");
        }
    }

    /** ProcessHome.subscribe for {@code Event.exit(child)}. */
    void subscribeExit(WaitCall call, int i, Event e, Home home) {
        if (exited) {
            call.fire(i, fired(e));
            return;
        }
        Subscription sub = new Subscription(call, i, home, this, 0);
        subs.add(sub);
        call.add(sub);
    }

    private Fired fired(Event e) {
        exitReported = true;
        return Access.api().fired(e, 0, status, null, null, true);
    }

    /** The backend or the stage says it exited: reap it. Owner thread. */
    void exitNoticed() {
        if (exited) return;
        watchArmed = false; // a process source reports its exit once
        int st;
        try {
            st = process.tryReap();
        } catch (IOException e) {
            Loop.LOG.log(System.Logger.Level.WARNING, "kwait: reaping child " + pid + " failed; its status is unknown", e);
            st = -1;
            markExited(-1);
            return;
        }
        if (st < 0) {
            // kqueue may report the exit a moment before waitpid can reap it (xnu): look again shortly.
            if (!retryScheduled && !loop.isClosed()) {
                retryScheduled = true;
                java.util.concurrent.CompletableFuture.delayedExecutor(1, java.util.concurrent.TimeUnit.MILLISECONDS)
                        .execute(() -> loop.post(() -> {
                            retryScheduled = false;
                            exitNoticed();
                        }));
            }
            return;
        }
        markExited(st);
    }

    private void markExited(int st) {
        status = st;
        exited = true;
        if (ownerTask != null) ownerTask.removeDoneCallback(ownerTaskCallback);
        for (Subscription s : new ArrayList<>(subs)) s.fire(fired(s.event()));
        subs.clear();
    }

    /** Whether the kernel may forget this child: reaped and every pipe end closed. */
    boolean isSpent() {
        return exited && (process.stdin() == null || !process.stdin().isOpen())
                && (process.stdout() == null || !process.stdout().isOpen())
                && (process.stderr() == null || !process.stderr().isOpen());
    }

    /** Kernel close, first pass: SIGKILL unless the child is nobody's. */
    void killIfOwned() {
        if (!exited && owner != Child.Owner.NONE) terminateQuietly("KILL");
    }

    /** Kernel close: the owner is gone (or not, for {@link Owner#NONE}); close the pipes, reap or hand over. */
    void kernelClosed() {
        if (watchArmed) loop.backend().deregister(watch);
        watchArmed = false;
        if (exited) {
            process.release();
            return;
        }
        if (owner == Child.Owner.NONE) {
            process.release();
            process.reapInBackground();
            return;
        }
        killAndReap();
    }

    private void killAndReap() {
        terminateQuietly("KILL");
        process.release();
        // SIGKILL is not refused; the child is gone within moments (bounded, as a stopped child dies too).
        long deadline = System.nanoTime() + 10_000_000_000L;
        int st = -1;
        while (System.nanoTime() - deadline < 0) {
            try {
                st = process.tryReap();
            } catch (IOException e) {
                break;
            }
            if (st >= 0) break;
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        if (st >= 0) {
            status = st;
            exited = true;
        } else {
            Loop.LOG.log(System.Logger.Level.WARNING, "kwait: child " + pid + " did not die within 10 s of SIGKILL;"
                    + " reaping it in the background");
            process.reapInBackground();
        }
    }

    private void terminateQuietly(String signal) {
        try {
            process.signal(signal);
        } catch (IOException | RuntimeException e) {
            Loop.LOG.log(System.Logger.Level.DEBUG, "kwait: SIG" + signal + " to child " + pid + " failed", e);
        }
    }
}
