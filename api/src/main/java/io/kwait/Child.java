package io.kwait;

import io.kwait.core.ChildCore;
import io.kwait.spi.Capability;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A child process started by kwait, whose stdin, stdout, stderr and exit are all events of the
 * same {@link Kernel#wait}: {@link Event#writable Event.writable(child.stdin())},
 * {@link Event#readable Event.readable(child.stdout())}, {@link Event#exit(Child) Event.exit(child)},
 * next to sockets, timers, signals, tasks and channels.
 *
 * <pre>{@code
 * Child child = Child.start(kernel, new ProcessBuilder("make", "test"));
 * ByteBuffer buf = ByteBuffer.allocate(8192);
 * while (!child.isFinished()) {
 *     for (Fired f : kernel.wait(child.events(), Duration.ofMinutes(5))) {
 *         if (f.filter() == Filter.EXIT) System.out.println("exit status " + f.exitStatus().getAsInt());
 *         else {
 *             Pipe.SourceChannel out = (Pipe.SourceChannel) f.event().resource();
 *             buf.clear();
 *             if (out.read(buf) < 0) out.close(); // end of stream: close it, it is drained
 *             else System.out.write(buf.array(), 0, buf.position());
 *         }
 *     }
 * }
 * }</pre>
 *
 * <h2>What it is made of</h2>
 * The {@link ProcessBuilder} gives the command, directory, environment and redirects, as for
 * {@link ProcessBuilder#start()}: {@code PIPE} (the default) makes a pipe whose parent end is a
 * non-blocking channel here ({@link #stdin()} a {@link Pipe.SinkChannel}, {@link #stdout()} and
 * {@link #stderr()} {@link Pipe.SourceChannel}s); {@code INHERIT}, {@code DISCARD}, a file and
 * {@code redirectErrorStream(true)} work as they do there. Closing {@link #stdin()} gives the child
 * end of file. A read returns -1 at end of stream; a write after the child closed its stdin (or
 * exited) throws the usual {@link IOException} ("Broken pipe"), never a signal that kills the JVM.
 *
 * <h2>Where it runs</h2>
 * With a backend that has {@link Capability#SPAWN} (epoll, kqueue on Linux's C library) the child is
 * started with {@code posix_spawn}, its pipes are watched by the backend like any other fd and
 * its exit through a pidfd or EVFILT_PROC: no thread per child and none per stream
 * ({@link #relayThreads()} is 0). Elsewhere (the select backend, {@code -Dkwait.child.native=false})
 * it is started with {@link ProcessBuilder#start()} and each {@code PIPE} costs a relay thread
 * copying between the JDK's blocking stream and an NIO {@link Pipe}, plus the JDK's own reaper
 * thread per child; same API, same semantics.
 *
 * <h2>Exit, end of stream, and reaping</h2>
 * The exit and the end of stdout/stderr come in either order (a child may exit with its output
 * still in the pipe, or close its output and run on). {@link #events()} and {@link #isFinished()}
 * make "until it exited and both streams are drained" one loop: read a stream until -1, then close
 * it. {@link Fired#exitStatus()} is exactly what {@link Process#exitValue()} reports: the exit
 * code, or 128 + N for a child killed by signal N. kwait reaps its own children, exactly once
 * ({@code waitpid(pid)}, never {@code waitpid(-1)}, so the JDK's children are never touched),
 * also when the program dropped the {@code Child} without waiting for it: the kernel keeps every
 * child it started until it has reaped it.
 *
 * <h2>Owner</h2>
 * A child is killed (SIGKILL) and reaped when its owner goes away: by default its kernel
 * ({@link Owner#KERNEL}: when the kernel closes), or the task that started it ({@link Owner#TASK}:
 * when that task ends, fails or is cancelled, or the kernel closes). {@link Owner#NONE} lets it
 * outlive its kernel; its pipes close with the kernel and a background thread reaps it when it exits.
 *
 * <h2>Threads</h2>
 * {@link #start} may be called from any thread. {@link #signal}, {@link #terminate()},
 * {@link #kill()}, {@link #exitStatus()} and {@link #pid()} may be called from any thread; the
 * channels follow the usual NIO rules.
 */
public final class Child {

    /** System property: {@code false} starts every child the portable way (ProcessBuilder and relay threads). */
    public static final String NATIVE_PROPERTY = "kwait.child.native";

    /** Who owns a child: when the owner goes away, kwait kills the child (SIGKILL) and reaps it. */
    public enum Owner {
        /** The kernel that started it: killed when the kernel closes. The default. */
        KERNEL,
        /**
         * The task that started it (or the kernel, when started outside a task): killed when the
         * task ends, fails or is cancelled, or when the kernel closes.
         */
        TASK,
        /**
         * Nobody: it outlives its kernel. Its pipes close with the kernel; when it exits a
         * background thread reaps it.
         */
        NONE
    }

    final ChildCore core;
    private final Kernel kernel;

    private Child(Kernel kernel, ProcessBuilder builder, Owner owner) throws IOException {
        this.kernel = kernel;
        this.core = ChildCore.start(kernel.loop, this, builder, owner);
    }

    /**
     * Starts a child owned by {@code kernel} ({@link Owner#KERNEL}).
     *
     * @throws IOException           as {@link ProcessBuilder#start()}: the program does not exist or
     *                               may not be run, the directory does not exist, a redirect file
     *                               cannot be opened, or the command is empty; the message names
     *                               the program and the cause, and nothing is left behind
     * @throws ClosedKernelException the kernel is closed
     */
    public static Child start(Kernel kernel, ProcessBuilder builder) throws IOException {
        return start(kernel, builder, Owner.KERNEL);
    }

    /** Starts a child with the given owner; see {@link #start(Kernel, ProcessBuilder)} and {@link Owner}. */
    public static Child start(Kernel kernel, ProcessBuilder builder, Owner owner) throws IOException {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(builder, "builder");
        Objects.requireNonNull(owner, "owner");
        return new Child(kernel, builder, owner);
    }

    /** The child's process id. */
    public long pid() { return core.pid(); }

    /**
     * The child as a {@link ProcessHandle} (for {@code info()}, {@code children()} ...). Its
     * {@code onExit()} costs a JDK thread; wait for {@link Event#exit(Child)} instead.
     *
     * @throws IllegalStateException the child had already been reaped when kwait looked it up
     */
    public ProcessHandle toHandle() { return core.toHandle(); }

    /**
     * The child's stdin: a non-blocking channel to write to, usable in {@link Event#writable}.
     * Close it to give the child end of file.
     *
     * @throws IllegalStateException stdin is not {@code Redirect.PIPE} (it was redirected)
     */
    public Pipe.SinkChannel stdin() { return core.stdin(); }

    /**
     * The child's stdout: a non-blocking channel to read from, usable in {@link Event#readable}.
     *
     * @throws IllegalStateException stdout is not {@code Redirect.PIPE} (it was redirected)
     */
    public Pipe.SourceChannel stdout() { return core.stdout(); }

    /**
     * The child's stderr: a non-blocking channel to read from, usable in {@link Event#readable}.
     *
     * @throws IllegalStateException stderr is not {@code Redirect.PIPE}: redirected, or merged into
     *                               stdout by {@code redirectErrorStream(true)}
     */
    public Pipe.SourceChannel stderr() { return core.stderr(); }

    /**
     * What is still worth waiting for, to read the child to the end: {@code readable(stdout)} and
     * {@code readable(stderr)} while they are pipes not yet closed, and {@code exit(child)} until
     * a wait has reported its EXIT. The same {@code Event} objects every time; empty when
     * {@link #isFinished()}. Call it from the thread (or task) that waits.
     */
    public List<Event> events() { return core.events(); }

    /**
     * Whether a wait has reported the child's EXIT and its stdout and stderr pipes are closed (the
     * caller closes each after reading -1 from it): the end of a loop over {@link #events()}.
     */
    public boolean isFinished() { return core.isFinished(); }

    /** Whether its exit was seen (by a wait on its kernel, or when the kernel closed). */
    public boolean hasExited() { return core.hasExited(); }

    /** The exit status once {@link #hasExited()} (as {@link Process#exitValue()}), else empty. */
    public OptionalInt exitStatus() { return core.exitStatus(); }

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
    public void signal(String name) throws IOException { core.signal(name); }

    /** Asks the child to stop: SIGTERM (as {@link Process#destroy()}). */
    public void terminate() throws IOException { core.terminate(); }

    /** Kills the child: SIGKILL (as {@link Process#destroyForcibly()}). */
    public void kill() throws IOException { core.kill(); }

    /**
     * Platform threads this child costs while it runs: 0 where the backend spawns it
     * ({@link Capability#SPAWN}); otherwise one relay per {@code PIPE} plus the JDK's reaper.
     */
    public int relayThreads() { return core.relayThreads(); }

    /** The kernel that started it. */
    public Kernel kernel() { return kernel; }

    @Override
    public String toString() { return core.toString(); }
}
