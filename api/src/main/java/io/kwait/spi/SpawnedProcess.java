package io.kwait.spi;

import java.io.IOException;
import java.nio.channels.Pipe;
import java.util.concurrent.CompletionStage;

/**
 * A child started by a {@link Spawner} (or by the core's portable relay), as the core sees it: its
 * pid, the parent's ends of its pipes, and the means to learn of its exit, reap it and signal it.
 *
 * <h2>Exit and reaping</h2>
 * The core learns of the exit in one of two ways: where {@link #exitStage()} is null, by
 * registering a {@link Source.Kind#PROCESS} source for {@link #pid()} with {@link Interest#EXIT}
 * (pidfd, EVFILT_PROC: no thread); otherwise when that stage completes. Either way it then calls
 * {@link #tryReap()}, which reaps the child exactly once ({@code waitpid(pid)}, never
 * {@code waitpid(-1)}). Nothing else may reap it.
 *
 * <h2>Threads</h2>
 * {@link #tryReap()}, {@link #signal(String)} and {@link #release()} may be called from any thread;
 * implementations serialise them, so a signal never reaches a recycled pid.
 */
public interface SpawnedProcess {
    /** The child's process id. */
    long pid();

    /** The parent's end of the child's stdin pipe, non-blocking; null when stdin is not {@code PIPE}. */
    Pipe.SinkChannel stdin();

    /** The parent's end of the child's stdout pipe, non-blocking; null when stdout is not {@code PIPE}. */
    Pipe.SourceChannel stdout();

    /**
     * The parent's end of the child's stderr pipe, non-blocking; null when stderr is not
     * {@code PIPE} or is merged into stdout ({@code redirectErrorStream(true)}).
     */
    Pipe.SourceChannel stderr();

    /**
     * Completes when the child has exited, for children whose exit the backend does not watch;
     * null when the core should register the pid with {@link Interest#EXIT}.
     */
    CompletionStage<?> exitStage();

    /**
     * Starts watching the exit with a thread, when the backend refused the pid's {@link Interest#EXIT}
     * registration (no pidfds here, for instance); the stage completes at the exit.
     */
    CompletionStage<?> exitStageFallback();

    /**
     * Reaps the child if it has exited and returns its exit status as {@link Process#exitValue()}
     * reports it (the exit code, or 128 + the signal that killed it); {@code -1} while it runs.
     * Once reaped, returns the same status on every call.
     *
     * @throws IOException the OS refused (not our child: someone else reaped it)
     */
    int tryReap() throws IOException;

    /**
     * Sends a signal by name ({@code "TERM"}, {@code "KILL"}, {@code "INT"} ...). Does nothing once
     * the child was reaped.
     *
     * @throws UnsupportedOperationException this kind of child can take only TERM and KILL
     * @throws IllegalArgumentException      an unknown signal name
     */
    void signal(String name) throws IOException;

    /** Threads this child costs while it runs (relays, a reaper): 0 for a backend's native spawn. */
    int threads();

    /**
     * Closes the parent's pipe ends that are still open and frees what the child holds, except
     * the child itself: the caller reaps it (or hands it to {@link #reapInBackground()}).
     */
    void release();

    /**
     * Reaps the child whenever it exits, without the core (its kernel closed and the child was
     * meant to outlive it): a daemon thread that blocks until then.
     */
    void reapInBackground();
}
