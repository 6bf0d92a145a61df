package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.TimeSource;
import io.kwait.spi.Capability;
import java.io.File;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Base of every conformance test: one kernel per test on the backend named by the binding (one
 * class per backend in {@code io.kwait.tests.backends}, holding a {@code @Nested} subclass of
 * each abstract {@code *Conformance} class, generated from the list in
 * {@code tests/src/build/BindingClasses.java}), and
 * the check every test ends with: closing the kernel leaves no registration, timer, relay or fd
 * behind. A test that needs a capability calls {@link #requires(Capability)} and is skipped where
 * the backend lacks it (never an {@code instanceof} check). {@link UncaughtCheck} fails a test when an
 * exception escaped on one of kwait's threads (a task's virtual thread included) or kwait logged one.
 */
@Timeout(30)
@ExtendWith(UncaughtCheck.class)
public abstract class ConformanceBase {
    static {
        JdkWarmUp.run();
    }

    protected Kernel kernel;
    private int fdsBefore;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /**
     * The backend under test, e.g. {@code "select"}: the one named by {@link OnBackend} on this
     * class or the binding class it is nested in.
     */
    protected String backend() {
        for (Class<?> c = getClass(); c != null; c = c.getEnclosingClass()) {
            OnBackend on = c.getAnnotation(OnBackend.class);
            if (on != null) return on.value();
        }
        throw new IllegalStateException(getClass().getName() + " names no backend: nest it in a class annotated"
                + " @OnBackend (see io.kwait.tests.backends)");
    }

    /** Opens a kernel on the backend under test with the given clock; closed after the test. */
    protected Kernel openKernel(TimeSource time) {
        Kernel k = Kernel.builder().backend(backend()).timeSource(time).open();
        toClose.add(k);
        return k;
    }

    /** Registers something to close after the test (before the leak check). */
    protected <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    /** A pipe closed after the test (before the leak check); its source non-blocking. */
    protected Pipe pipe() throws IOException {
        Pipe p = Pipe.open();
        closeLater(p.sink());
        closeLater(p.source());
        p.source().configureBlocking(false);
        return p;
    }

    /**
     * Waits on {@code e} alone, with no timeout, on the test's kernel: its one {@link Fired}, which
     * must be for {@code e} itself, with {@code e}'s filter.
     */
    protected Fired waitOne(Event e) throws InterruptedException {
        List<Fired> fired = kernel.wait(List.of(e), null);
        assertEquals(1, fired.size(), "fired: " + fired);
        Fired f = fired.get(0);
        assertSame(e, f.event());
        assertEquals(e.filter(), f.filter());
        return f;
    }

    /** A plain thread running {@code body}; its outcome (value or exception) is taken by {@link Outcome#get}. */
    protected static <T> Outcome<T> onThread(String name, Callable<T> body) {
        Outcome<T> o = new Outcome<>();
        o.thread = new Thread(() -> {
            try {
                o.value.set(body.call());
            } catch (Throwable t) {
                o.failure.set(t);
            }
        }, name);
        o.thread.setDaemon(true);
        o.thread.start();
        return o;
    }

    /** What a thread started by {@link #onThread} ended with. */
    protected static final class Outcome<T> {
        Thread thread;
        final AtomicReference<T> value = new AtomicReference<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        /** Joins the thread (bounded) and returns what it threw, or null. */
        Throwable failure() throws InterruptedException {
            join();
            return failure.get();
        }

        /** Joins the thread (bounded) and returns its value, rethrowing what it threw. */
        T get() throws Exception {
            join();
            Throwable t = failure.get();
            if (t instanceof Error e) throw e;
            if (t instanceof Exception e) throw e;
            return value.get();
        }

        private void join() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(20));
            assertTrue(!thread.isAlive(), "thread " + thread.getName() + " did not finish");
        }
    }

    @BeforeEach
    void openDefaultKernel() {
        assumeTrue(belongsHere(backend()), "backend " + backend() + " is for another OS than " + System.getProperty("os.name"));
        fdsBefore = openFds();
        kernel = Kernel.open(backend());
        toClose.add(kernel);
    }

    @AfterEach
    void closeAndCheckNothingLeaks() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
        Kernel.Stats s = kernel.stats();
        assertTrue(s.isEmpty(), "closed kernel still holds " + s);
        assertTrue(kwaitThreads().isEmpty(), "threads left behind: " + kwaitThreads());
        int after = openFds();
        if (fdsBefore >= 0) {
            assertEquals(fdsBefore, after, "file descriptors leaked by the test (before/after)");
        }
    }

    /**
     * Whether the backend is meant to run on this OS. Where it is, it must be available (the test
     * fails with the reason otherwise); elsewhere its tests are skipped, so one command runs the
     * suite on any machine.
     */
    static boolean belongsHere(String backend) {
        boolean linux = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
        return switch (backend) {
            case "epoll", "kqueue-sim-macos", "kqueue-sim-freebsd" -> linux;
            default -> true;
        };
    }

    protected void requires(Capability c) {
        assumeTrue(kernel.capabilities().contains(c), "backend " + backend() + " lacks " + c);
    }

    /**
     * Live platform threads whose name starts with {@code kwait} (kwait starts none that outlives
     * its kernel; a backend or relay that did would show here). Tasks' virtual threads are not
     * listed by {@link Thread#getAllStackTraces()}; that no task outlives its scheduler is checked
     * by the task conformance tests instead. Not listed: {@link #SIGNAL_RESTORER}.
     */
    protected static List<String> kwaitThreads() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("kwait") && !t.getName().equals(SIGNAL_RESTORER)) names.add(t.getName());
        }
        return names;
    }

    /**
     * The thread that puts a signal's previous handler back one second after its last watch ended
     * (see {@code Event.signal}); it ends by itself once none is due, which {@code SignalConformance}
     * checks.
     */
    protected static final String SIGNAL_RESTORER = "kwait-signal-restore";

    /** Open fds of this JVM (Linux /proc), or -1 where unknown. */
    protected static int openFds() {
        String[] l = new File("/proc/self/fd").list();
        return l == null ? -1 : l.length;
    }
}
