package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.TaskCancelledException;
import io.kwait.testkit.TestProcesses;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Fixtures shared by the kernel-resource conformance classes (fd, timer, signal, process, kernel
 * contract): channels that are closed before the leak check, children that are destroyed, a way
 * to know that another thread is inside {@code wait} without sleeping, and a root-task runner
 * that reports assertion failures of tasks as themselves. Plain threads: {@link #onThread}.
 */
abstract class ResourceConformanceSupport extends ConformanceBase {

    /** As {@link ConformanceBase#pipe()}, with the sink non-blocking too (these suites wait on writable). */
    @Override
    protected Pipe pipe() throws IOException {
        Pipe p = super.pipe();
        p.sink().configureBlocking(false);
        return p;
    }

    /** A listening loopback server socket, non-blocking, closed after the test. */
    protected ServerSocketChannel server() throws IOException {
        ServerSocketChannel s = closeLater(ServerSocketChannel.open());
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.configureBlocking(false);
        return s;
    }

    /** A connected loopback TCP pair {client, accepted}, both non-blocking, closed after the test. */
    protected SocketChannel[] socketPair() throws IOException {
        ServerSocketChannel s = closeLater(ServerSocketChannel.open());
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        SocketChannel client = closeLater(SocketChannel.open(s.getLocalAddress()));
        SocketChannel accepted = closeLater(s.accept());
        s.close();
        client.configureBlocking(false);
        accepted.configureBlocking(false);
        return new SocketChannel[] {client, accepted};
    }

    /** Writes {@code n} bytes, all of which must be taken at once (small n on an empty buffer). */
    protected static void write(WritableByteChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            int w = ch.write(b);
            if (w == 0) fail("channel took only " + b.position() + " of " + n + " bytes");
        }
    }

    /** Reads up to {@code max} bytes without blocking; the count, or -1 at end of stream. */
    protected static int read(ReadableByteChannel ch, int max) throws IOException {
        return ch.read(ByteBuffer.allocate(max));
    }

    /** Reads everything available now without blocking; the count (end of stream counts as 0). */
    protected static int drain(ReadableByteChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8192);
        int total = 0;
        int r;
        while ((r = ch.read(b)) > 0) {
            total += r;
            b.clear();
        }
        return total;
    }

    /** Runs {@code body} as the root task on {@code k}; a failure inside a task is rethrown as itself. */
    protected static <T> T inScheduler(Kernel k, Callable<T> body) throws Exception {
        try {
            return Scheduler.run(k, body);
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    /** Joins a task, rethrowing its failure as itself. */
    protected static <T> T joinTask(Task<T> t) throws Exception {
        try {
            return t.join();
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private static Exception unwrap(ExecutionException e) {
        Throwable c = e.getCause();
        while (c instanceof ExecutionException inner && inner.getCause() != null) c = inner.getCause();
        if (c instanceof Error err) throw err;
        if (c instanceof Exception ex) return ex;
        return e;
    }

    /**
     * Blocks until some other plain thread is inside {@code k.wait}: the kernel serves one waiting
     * thread at a time, so a polling {@code wait} of our own is refused exactly then. Bounded by
     * the test's timeout. The waiting side must use {@link #waitRetrying} because our probe may
     * hold the kernel for an instant when it calls.
     */
    protected static void awaitOtherWaiter(Kernel k) throws InterruptedException {
        List<Event> probe = List.of(Event.after(Duration.ofDays(1)));
        while (true) {
            try {
                k.wait(probe, Duration.ZERO);
            } catch (IllegalStateException busy) {
                if (busy.getMessage() != null && busy.getMessage().contains("already waiting")) return;
                throw busy;
            }
            Thread.onSpinWait();
        }
    }

    /** {@code k.wait}, retried while a probe of {@link #awaitOtherWaiter} holds the kernel. */
    protected static List<Fired> waitRetrying(Kernel k, List<Event> events, Duration timeout) throws InterruptedException {
        while (true) {
            try {
                return k.wait(events, timeout);
            } catch (IllegalStateException busy) {
                if (busy.getMessage() == null || !busy.getMessage().contains("already waiting")) throw busy;
                Thread.onSpinWait();
            }
        }
    }

    /**
     * A task's wait on {@code event}, cancelled while it is suspended, leaves no watch (issue 9,
     * defects 3 and 10): {@code watches} counts them in the kernel's stats, 1 while the task waits and
     * 0 at once after the cancel, when {@code alsoAtOnce} checks the stats further.
     */
    protected void assertCancelledWaitLeavesNoWatch(Event event, ToIntFunction<Kernel.Stats> watches,
                                                    Consumer<Kernel.Stats> alsoAtOnce) throws Exception {
        inScheduler(kernel, () -> {
            Task<Object> waiter = Task.spawn(() -> kernel.wait(List.of(event), null));
            Task.yieldNow(); // the waiter subscribes and suspends
            assertEquals(1, watches.applyAsInt(kernel.stats()), kernel.stats().toString());
            waiter.cancel();
            assertThrows(TaskCancelledException.class, waiter::join);
            assertEquals(0, watches.applyAsInt(kernel.stats()), "at once after the cancel: " + kernel.stats());
            alsoAtOnce.accept(kernel.stats());
            return null;
        });
    }

    /** {@link #assertCancelledWaitLeavesNoWatch(Event, ToIntFunction, Consumer)} with no further check. */
    protected void assertCancelledWaitLeavesNoWatch(Event event, ToIntFunction<Kernel.Stats> watches) throws Exception {
        assertCancelledWaitLeavesNoWatch(event, watches, stats -> { });
    }

    /**
     * A plain thread's wait on {@code event}, interrupted while it waits, ends with
     * InterruptedException and leaves no watch: {@code watches} counts them in the kernel's stats.
     */
    protected void assertInterruptedWaitLeavesNoWatch(Event event, ToIntFunction<Kernel.Stats> watches) throws Exception {
        Outcome<Boolean> waiter = onThread("waiter", () -> {
            try {
                waitRetrying(kernel, List.of(event), null);
                return Boolean.FALSE;
            } catch (InterruptedException expected) {
                return Boolean.TRUE;
            }
        });
        awaitOtherWaiter(kernel);
        waiter.thread.interrupt();
        assertEquals(Boolean.TRUE, waiter.get());
        assertEquals(0, watches.applyAsInt(kernel.stats()), kernel.stats().toString());
    }

    /** Starts a child with no output pipes and stdin closed ({@link TestProcesses#child}); destroyed and reaped after the test. */
    protected Process child(String... command) throws IOException {
        Process p = TestProcesses.child(command);
        closeLater((AutoCloseable) () -> {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        });
        return p;
    }

    /** A process this JVM did not start ({@link TestProcesses#notOurChild}); destroyed after the test. */
    protected ProcessHandle notOurChild() throws IOException, InterruptedException {
        ProcessHandle other = TestProcesses.notOurChild();
        closeLater((AutoCloseable) other::destroyForcibly);
        return other;
    }

    /** Asserts that {@code fired} holds exactly {@code expected}, by identity and in order. */
    protected static void assertFiredExactly(List<Fired> fired, Event... expected) {
        assertEquals(expected.length, fired.size(), "fired: " + fired);
        for (int i = 0; i < expected.length; i++) {
            if (fired.get(i).event() != expected[i]) {
                fail("Fired #" + i + " holds " + fired.get(i).event() + ", expected the very object " + expected[i] + "; fired: " + fired);
            }
        }
    }
}
