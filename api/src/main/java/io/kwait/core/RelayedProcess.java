package io.kwait.core;


import io.kwait.spi.SpawnedProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The portable way to start a {@link Child}, for backends without {@code Capability.SPAWN}:
 * {@link ProcessBuilder#start()}, and for each {@code PIPE} an NIO {@link Pipe} whose far end a
 * relay thread connects to the JDK's blocking stream. The user's ends are non-blocking and
 * selectable on every backend. Costs one platform thread per piped stream (named
 * {@code kwait-relay-PID-stdout} ...) for as long as the stream is open, plus the JDK's own reaper
 * thread per child, which also reaps it (so {@link #tryReap()} asks the {@link Process}).
 *
 * <p>Back-pressure is kept: a relay writes into its pipe blocking, so when the reader falls behind
 * the relay waits and the child blocks on its full pipe, as it would with a direct pipe.
 */
final class RelayedProcess implements SpawnedProcess {
    private static final int CHUNK = 64 * 1024;
    private final Process process;
    private final Pipe.SinkChannel stdin;
    private final Pipe.SourceChannel stdout, stderr;
    private final List<AutoCloseable> farEnds = new ArrayList<>(3);
    private final List<Thread> relays = new ArrayList<>(3);

    private RelayedProcess(Process process, Pipe in, Pipe out, Pipe err) throws IOException {
        this.process = process;
        long pid = process.pid();
        if (in != null) {
            in.sink().configureBlocking(false);
            farEnds.add(in.source());
            relays.add(relay("kwait-relay-" + pid + "-stdin", () -> copyToChild(in.source(), process.getOutputStream())));
        }
        if (out != null) {
            out.source().configureBlocking(false);
            farEnds.add(out.sink());
            relays.add(relay("kwait-relay-" + pid + "-stdout", () -> copyFromChild(process.getInputStream(), out.sink())));
        }
        if (err != null) {
            err.source().configureBlocking(false);
            farEnds.add(err.sink());
            relays.add(relay("kwait-relay-" + pid + "-stderr", () -> copyFromChild(process.getErrorStream(), err.sink())));
        }
        this.stdin = in != null ? in.sink() : null;
        this.stdout = out != null ? out.source() : null;
        this.stderr = err != null ? err.source() : null;
        for (Thread t : relays) t.start();
    }

    static RelayedProcess start(ProcessBuilder builder) throws IOException {
        List<Pipe> pipes = new ArrayList<>(3);
        Process p = null;
        try {
            Pipe in = builder.redirectInput().type() == Redirect.Type.PIPE ? open(pipes) : null;
            Pipe out = builder.redirectOutput().type() == Redirect.Type.PIPE ? open(pipes) : null;
            Pipe err = !builder.redirectErrorStream() && builder.redirectError().type() == Redirect.Type.PIPE ? open(pipes) : null;
            p = builder.start();
            return new RelayedProcess(p, in, out, err);
        } catch (IOException | RuntimeException e) {
            if (p != null) p.destroyForcibly();
            for (Pipe pipe : pipes) {
                closeQuietly(pipe.source());
                closeQuietly(pipe.sink());
            }
            throw e;
        }
    }

    private static Pipe open(List<Pipe> pipes) throws IOException {
        Pipe p = Pipe.open();
        pipes.add(p);
        return p;
    }

    private static Thread relay(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    /** stdin relay: the user's pipe to the child's stdin; the user's close is the child's end of file. */
    private static void copyToChild(Pipe.SourceChannel from, OutputStream to) {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        try (from; to) {
            while (true) {
                buf.clear();
                int n = from.read(buf);
                if (n < 0) return;
                to.write(buf.array(), 0, n);
                to.flush();
            }
        } catch (IOException childGoneOrClosed) {
            // Closing `from` here makes the user's next write fail with "Broken pipe", as a direct pipe would.
        }
    }

    /** stdout/stderr relay: the child's stream to the user's pipe; blocking writes carry the back-pressure. */
    private static void copyFromChild(InputStream from, Pipe.SinkChannel to) {
        byte[] buf = new byte[CHUNK];
        try (from; to) {
            while (true) {
                int n = from.read(buf);
                if (n < 0) return;
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                while (b.hasRemaining()) to.write(b);
            }
        } catch (IOException userClosedOrKernelClosed) {
            // The user closed the reading end: the child now gets "broken pipe" on its next write.
        }
    }

    @Override public long pid() { return process.pid(); }
    @Override public Pipe.SinkChannel stdin() { return stdin; }
    @Override public Pipe.SourceChannel stdout() { return stdout; }
    @Override public Pipe.SourceChannel stderr() { return stderr; }
    /**
     * The JDK's onExit, after the far end of the stdin pipe is closed: from then on a write to
     * {@link #stdin()} fails with "Broken pipe", as a direct pipe to a dead child does, and the
     * kernel hears of the exit only once that holds.
     */
    @Override
    public CompletionStage<?> exitStage() {
        return process.onExit().thenRun(() -> {
            for (AutoCloseable c : farEnds) if (c instanceof Pipe.SourceChannel stdinFar) closeQuietly(stdinFar);
            // The JDK defers the close of a channel a thread is blocked reading until that thread
            // leaves: wait for the stdin relay, so that the pipe really has no reader any more.
            for (Thread t : relays) {
                if (!t.getName().endsWith("-stdin")) continue;
                try {
                    t.join(1_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }

    @Override public CompletionStage<?> exitStageFallback() { return exitStage(); }

    @Override
    public int tryReap() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    @Override
    public void signal(String name) {
        switch (name) {
            case "TERM" -> process.destroy();
            case "KILL" -> process.destroyForcibly();
            default -> {
                if (!name.equals("QUIT")) SignalHome.canonicalName(name); // unknown names: IllegalArgumentException
                throw new UnsupportedOperationException("a child started through ProcessBuilder (this backend has no"
                        + " Capability.SPAWN) can be sent TERM and KILL only, not SIG" + name + "; use a native backend"
                        + " (Kernel.open(\"epoll\") on Linux) to send other signals");
            }
        }
    }

    @Override
    public int threads() {
        int n = process.isAlive() ? 1 : 0; // the JDK's reaper
        for (Thread t : relays) if (t.isAlive()) n++;
        return n;
    }

    @Override
    public void release() {
        closeQuietly(stdin);
        closeQuietly(stdout);
        closeQuietly(stderr);
        for (AutoCloseable c : farEnds) closeQuietly(c);
        // The relays end once their channel is closed and the child's stream ends (the child was killed,
        // or exited); a grandchild that keeps the child's stdout open keeps its relay until it closes it.
        for (Thread t : relays) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void reapInBackground() {
        // The JDK's reaper thread reaps it.
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing on cleanup: nothing to report to
        }
    }
}
