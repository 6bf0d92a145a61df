package io.kwait.nativeio.spawn;

import io.kwait.nativeio.Memory;
import io.kwait.spi.SpawnedProcess;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A child started by {@link PosixSpawner}: its pid and the parent's pipe ends. It is reaped here,
 * once, with {@code waitpid(pid, WNOHANG)} when the kernel has seen it exit; {@link #tryReap()}
 * and {@link #signal} share one lock, so a signal is never sent after the reap (when the pid may
 * belong to another process). While the child is not reaped its pid cannot be reused, so
 * {@code kill(2)} is as safe as {@code pidfd_send_signal} here and needs no pidfd of its own.
 */
final class NativeChild implements SpawnedProcess {
    private final int pid;
    private final PipeSink stdin;
    private final PipeSource stdout, stderr;
    private final Memory statusBuffer = new Memory(8);
    private int status = -1;
    private boolean reaped;
    private volatile Thread helper; // the exit watch of the fallback, or the background reaper

    NativeChild(int pid, PipeSink stdin, PipeSource stdout, PipeSource stderr) {
        this.pid = pid;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override public long pid() { return pid; }
    @Override public Pipe.SinkChannel stdin() { return stdin; }
    @Override public Pipe.SourceChannel stdout() { return stdout; }
    @Override public Pipe.SourceChannel stderr() { return stderr; }

    /** The backend watches the exit (pidfd, EVFILT_PROC). */
    @Override public CompletionStage<?> exitStage() { return null; }

    /**
     * For a backend that refused to watch this pid: a thread blocked in a non-reaping
     * {@code waitid(P_PID, pid, WEXITED|WNOWAIT)}; the core reaps after.
     */
    @Override
    public CompletionStage<?> exitStageFallback() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            awaitExitWithoutReaping();
            done.complete(null);
        }, "kwait-exit-watch-" + pid);
        t.setDaemon(true);
        helper = t;
        t.start();
        return done;
    }

    private void awaitExitWithoutReaping() {
        Memory info = new Memory(128);
        while (true) {
            synchronized (this) {
                if (reaped) return;
            }
            int rc = Posix.libc().waitid(Posix.P_PID, pid, info.address, Posix.WEXITED | Posix.WNOWAIT);
            if (rc == 0 || Posix.errno() != Posix.EINTR) return;
        }
    }

    @Override
    public synchronized int tryReap() throws IOException {
        if (reaped) return status;
        while (true) {
            int rc = Posix.libc().waitpid(pid, statusBuffer.address, Posix.WNOHANG);
            if (rc == pid) {
                status = decode(statusBuffer.bytes.getInt(0));
                reaped = true;
                return status;
            }
            if (rc == 0) return -1;
            int err = Posix.errno();
            if (err == Posix.EINTR) continue;
            if (err == Posix.ECHILD) {
                reaped = true;
                throw new IOException("child " + pid + " was reaped by someone else (a waitpid(-1) elsewhere in this"
                        + " process, or SIGCHLD set to SIG_IGN): its exit status is lost");
            }
            throw new IOException("waitpid(" + pid + ") failed: " + Posix.describe(err));
        }
    }

    /** The JDK's exit value for a wait status: the exit code, or 0x80 + the signal that killed it. */
    static int decode(int waitStatus) {
        int low = waitStatus & 0x7f;
        if (low == 0) return (waitStatus >> 8) & 0xff; // WIFEXITED: WEXITSTATUS
        if (low != 0x7f) return 0x80 + low;             // WIFSIGNALED: 128 + WTERMSIG, as shells and the JDK say
        return waitStatus;                              // stopped: not asked for (no WUNTRACED)
    }

    @Override
    public synchronized void signal(String name) throws IOException {
        Integer sig = Posix.SIGNALS.get(name);
        if (sig == null) throw new IllegalArgumentException("unknown signal name '" + name + "'; known: "
                + new java.util.TreeSet<>(Posix.SIGNALS.keySet()));
        if (reaped) return;
        if (Posix.libc().kill(pid, sig) < 0) {
            int err = Posix.errno();
            throw new IOException("kill(" + pid + ", SIG" + name + ") failed: " + Posix.describe(err));
        }
    }

    @Override
    public int threads() {
        Thread t = helper;
        return t != null && t.isAlive() ? 1 : 0;
    }

    @Override
    public void release() {
        closeQuietly(stdin);
        closeQuietly(stdout);
        closeQuietly(stderr);
    }

    /** A daemon thread waits (without reaping) for the exit, then reaps: for a child that outlives its kernel. */
    @Override
    public void reapInBackground() {
        Thread t = new Thread(() -> {
            awaitExitWithoutReaping();
            try {
                tryReap();
            } catch (IOException ignored) {
                // someone else reaped it: nothing left to do
            }
        }, "kwait-reaper-" + pid);
        t.setDaemon(true);
        helper = t;
        t.start();
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // our own fd; close(2) on a pipe does not fail in a way anyone could act on
        }
    }

    @Override
    public String toString() {
        return "NativeChild[" + pid + "]";
    }
}
