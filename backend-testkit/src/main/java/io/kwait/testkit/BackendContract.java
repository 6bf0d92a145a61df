package io.kwait.testkit;

import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Backend} contract every backend keeps, as tests on JDK channels on loopback (the
 * sources every backend serves): level-triggered readiness, only the asked bits, interest 0,
 * deregistration (also from inside the sink), refusals, timeouts, wakeups, interrupts, virtual
 * threads, and close. Where backends may differ the test reads {@link Backend#capabilities()}, as
 * the core does (a byte count only with {@link Capability#BYTES_AVAILABLE}).
 *
 * <p>A backend's unit test class extends this with {@link #newBackend()}, and adds its own tests
 * (raw fds, processes, its switches, its provider) next to these. No sleeps: every blocking poll is
 * one that must return by the contract, bounded by {@code @Timeout}; every channel the test opens
 * through {@link #track} is closed after the backend.
 *
 * @param <B> the backend class under test
 */
@Timeout(20)
public abstract class BackendContract<B extends Backend> {

    /** The backend under test, new for each test, closed after it. */
    protected B backend;
    /** What the last {@link #poll(long)} reported. */
    protected final Reports reports = new Reports();
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    /**
     * A new backend of the kind under test. Called before each test (and by tests that need more
     * than one); may skip the test through an assumption where the backend cannot run.
     */
    protected abstract B newBackend() throws IOException;

    /** Runs before {@link #newBackend()} for each test: a subclass's assumptions, warm-up, fd count. */
    protected void beforeEachTest() throws Exception {}

    /** Runs after the backend and everything tracked are closed: a subclass's own cleanup and leak checks. */
    protected void afterEachTest() throws Exception {}

    @BeforeEach
    final void openBackend() throws Exception {
        beforeEachTest();
        backend = newBackend();
    }

    @AfterEach
    final void closeBackendAndChannels() throws Exception {
        if (backend == null) return;
        backend.close();
        while (!toClose.isEmpty()) toClose.pop().close();
        afterEachTest();
    }

    // ------------------------------------------------------------------ helpers

    /** Closes {@code c} after the test, after the backend, in reverse order of tracking. */
    protected final <C extends AutoCloseable> C track(C c) {
        toClose.push(c);
        return c;
    }

    /** A pipe left blocking, as {@code Pipe.open()} makes it (what backends refuse), closed after the test. */
    protected final Pipe blockingPipe() throws IOException {
        Pipe p = Pipe.open();
        track(p.source());
        track(p.sink());
        return p;
    }

    /** A non-blocking pipe, closed after the test. */
    protected final Pipe pipe() throws IOException {
        Pipe p = blockingPipe();
        p.source().configureBlocking(false);
        p.sink().configureBlocking(false);
        return p;
    }

    /**
     * Asserts that registering {@code src} for {@code interest} throws {@code refusal} and leaves
     * the backend's registrations as they were; returns the exception.
     */
    protected final <X extends Throwable> X assertRefused(Class<X> refusal, Source src, int interest) {
        int before = backend.registrationCount();
        X e = assertThrows(refusal, () -> backend.register(src, interest));
        assertEquals(before, backend.registrationCount(), "a refused register changes no registration");
        return e;
    }

    /** A non-blocking pipe holding {@code n} unread bytes, closed after the test. */
    protected final Pipe pipeWith(int n) throws IOException {
        Pipe p = pipe();
        write(p, n);
        return p;
    }

    /** Registers {@code src} for {@code interest} with the backend under test; returns it. */
    protected final <S extends Source> S registered(S src, int interest) throws IOException {
        backend.register(src, interest);
        return src;
    }

    /** A source on a new non-blocking pipe holding one unread byte, registered for READ. */
    protected final Source registeredReadable() throws IOException {
        return registered(new TestSource(pipeWith(1).source()), Interest.READ);
    }

    /** Writes {@code n} bytes into the pipe. */
    protected static void write(Pipe p, int n) throws IOException {
        assertEquals(n, p.sink().write(ByteBuffer.allocate(n)));
    }

    /** A non-blocking server socket on a loopback port, closed after the test. */
    protected final ServerSocketChannel server() throws IOException {
        ServerSocketChannel server = track(ServerSocketChannel.open());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.configureBlocking(false);
        return server;
    }

    /** Two connected non-blocking loopback sockets {client, accepted}, closed after the test. */
    protected final SocketChannel[] socketPair() throws IOException {
        try (ServerSocketChannel s = ServerSocketChannel.open()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel a = track(SocketChannel.open(s.getLocalAddress()));
            SocketChannel b = track(s.accept());
            a.configureBlocking(false);
            b.configureBlocking(false);
            return new SocketChannel[] {a, b};
        }
    }

    /** Polls the backend under test into {@link #reports} (cleared first); returns the count. */
    protected final int poll(long timeoutNanos) throws IOException {
        reports.clear();
        return backend.poll(timeoutNanos, reports);
    }

    /** The byte count a READ report of {@code readable} bytes carries on this backend. */
    protected final long expectedData(long readable) {
        return backend.capabilities().contains(Capability.BYTES_AVAILABLE) ? readable : 0;
    }

    // ------------------------------------------------------------------ readiness

    @Test
    void aPipeIsReadableAfterAWriteAndStaysSoUntilDrained() throws IOException {
        Pipe pipe = pipe();
        Source src = registered(new TestSource(pipe.source()), Interest.READ);
        assertEquals(0, poll(0));
        assertTrue(reports.list.isEmpty());

        write(pipe, 1);
        assertEquals(1, poll(-1));
        Reports.Report r = reports.only();
        assertSame(src, r.source());
        assertEquals(Interest.READ, r.ready());
        assertEquals(0, r.flags());
        assertEquals(expectedData(1), r.data());
        assertNull(r.error());

        // Level-triggered: reported again while not drained.
        assertEquals(1, poll(-1));
        assertEquals(Interest.READ, reports.only().ready());

        assertEquals(1, pipe.source().read(ByteBuffer.allocate(8)));
        assertEquals(0, poll(0));
        assertTrue(reports.list.isEmpty());
    }

    @Test
    void aPipeSinkIsWritable() throws IOException {
        Pipe pipe = pipe();
        Source sink = registered(new TestSource(pipe.sink()), Interest.WRITE);
        assertEquals(1, poll(-1));
        assertEquals(Interest.WRITE, reports.only().ready());
    }

    @Test
    void aListeningSocketReportsReadAfterALoopbackConnectWithoutAByteCount() throws IOException {
        ServerSocketChannel server = server();
        Source src = registered(new TestSource(server), Interest.READ);
        assertEquals(0, poll(0));

        track(SocketChannel.open(server.getLocalAddress())); // blocking connect: done on return
        assertEquals(1, poll(-1));
        assertSame(src, reports.only().source());
        assertEquals(Interest.READ, reports.only().ready());
        assertEquals(0, reports.only().data(), "a listening socket has no byte count");
        assertNotNull(track(server.accept()));
    }

    @Test
    void onlyTheAskedBitsAreReported() throws IOException {
        SocketChannel[] pair = socketPair();
        assertEquals(1, pair[1].write(ByteBuffer.wrap(new byte[] {7})));

        Source src = registered(new TestSource(pair[0]), Interest.WRITE); // readable too, but not asked
        assertEquals(1, poll(-1));
        assertEquals(Interest.WRITE, reports.only().ready());

        backend.register(src, Interest.READ | Interest.WRITE);
        // The byte may still be in flight on loopback; poll until READ shows up with WRITE.
        do {
            poll(-1);
        } while (reports.readyOf(src) != (Interest.READ | Interest.WRITE));
        assertEquals(expectedData(1), reports.carrying(src, Interest.READ).data());
        Reports.Report write = reports.carrying(src, Interest.WRITE);
        if ((write.ready() & Interest.READ) == 0) {
            assertEquals(0, write.data(), "a WRITE report carries no READ byte count");
        }
    }

    @Test
    void interestZeroKeepsTheRegistrationButReportsNothing() throws IOException {
        Source src = registeredReadable();
        backend.register(src, 0);
        assertEquals(1, backend.registrationCount());
        assertEquals(0, poll(0));
        assertTrue(reports.list.isEmpty());

        backend.register(src, Interest.READ); // re-armed: the byte is still there
        assertEquals(1, poll(0));
        assertEquals(Interest.READ, reports.only().ready());
    }

    @Test
    void firedBitsAreNotReportedAndComeBackOnceCleared() throws IOException {
        SocketChannel[] pair = socketPair();
        assertEquals(1, pair[1].write(ByteBuffer.wrap(new byte[] {7})));
        TestSource src = registered(new TestSource(pair[0]), Interest.READ | Interest.WRITE);
        do {
            poll(-1);
        } while (reports.readyOf(src) != (Interest.READ | Interest.WRITE)); // the byte may still be in flight

        src.markFired(Interest.READ); // its waiters were woken: only WRITE is of use now
        poll(0);
        assertEquals(Interest.WRITE, reports.readyOf(src));
        assertEquals(0, reports.carrying(src, Interest.WRITE).data(), "no READ byte count for a fired READ");

        src.markFired(Interest.READ | Interest.WRITE);
        assertEquals(0, poll(0));
        assertTrue(reports.list.isEmpty(), reports.list.toString());

        src.markFired(0); // a wait subscribed again: level-triggered, so both are back
        poll(0);
        assertEquals(Interest.READ | Interest.WRITE, reports.readyOf(src));
        assertEquals(expectedData(1), reports.carrying(src, Interest.READ).data());
    }

    // ------------------------------------------------------------------ refusals

    @Test
    void aBlockingChannelIsRefusedWithTheWayOut() throws IOException {
        Pipe pipe = blockingPipe();
        IllegalArgumentException e = assertRefused(IllegalArgumentException.class, new TestSource(pipe.source()), Interest.READ);
        assertTrue(e.getMessage().contains("configureBlocking(false) before waiting on it"), e.getMessage());
        assertTrue(e.getMessage().contains(pipe.source().toString()), e.getMessage());
    }

    @Test
    void aClosedChannelIsRefusedWithClosedChannelException() throws IOException {
        Pipe pipe = pipe();
        pipe.source().close();
        assertRefused(ClosedChannelException.class, new TestSource(pipe.source()), Interest.READ);
    }

    // ------------------------------------------------------------------ deregistration

    @Test
    void aDeregisteredSourceIsNotReportedAndCanComeBackBeforeTheNextPoll() throws IOException {
        Pipe pipe = pipeWith(1);
        Source src = registered(new TestSource(pipe.source()), Interest.READ);
        backend.deregister(src);
        assertNull(src.backendState());
        assertEquals(0, backend.registrationCount());
        assertEquals(0, poll(0));

        backend.register(src, Interest.READ);
        backend.deregister(src);
        backend.register(src, Interest.READ); // before any poll: a cancellation a backend defers (NIO) must not bite
        assertEquals(1, backend.registrationCount());
        assertEquals(1, poll(0));
        assertSame(src, reports.only().source());

        backend.deregister(new TestSource(pipe.sink())); // unknown: ignored
    }

    @Test
    void aSinkMayDeregisterAnotherReadySourceWhichIsThenNotReported() throws IOException {
        Source sa = registeredReadable();
        Source sb = registeredReadable();
        int n = backend.poll(0, (source, ready, flags, data, error) -> {
            reports.ready(source, ready, flags, data, error);
            backend.deregister(source == sa ? sb : sa);
        });
        assertEquals(1, n);
        assertEquals(1, reports.list.size());
        assertEquals(1, backend.registrationCount());
    }

    // ------------------------------------------------------------------ timeouts, wakeup, interrupt

    @Test
    void pollZeroReturnsAtOnce() throws IOException {
        backend.register(new TestSource(pipe().source()), Interest.READ);
        assertEquals(0, poll(0));
        assertTrue(reports.list.isEmpty());
    }

    @Test
    void oneNanosecondIsRoundedUpNotTurnedIntoForever() throws IOException {
        backend.register(new TestSource(pipe().source()), Interest.READ);
        assertEquals(0, poll(1)); // a millisecond API's 0 would block for ever
        assertEquals(0, poll(999_999));
        assertTrue(reports.list.isEmpty());
    }

    @Test
    void wakeupFromAnotherThreadEndsABlockedPoll() throws Exception {
        backend.register(new TestSource(pipe().source()), Interest.READ);
        AtomicInteger result = new AtomicInteger(-1);
        Thread poller = new Thread(() -> {
            try {
                result.set(backend.poll(-1, reports));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }, "poller");
        poller.start();
        // Until it returns: a wakeup before the poll blocks must count too.
        while (poller.isAlive()) {
            backend.wakeup();
            poller.join(10);
        }
        assertEquals(0, result.get());
        assertTrue(reports.list.isEmpty());
        // The loop may have woken once more after the poller's poll returned: that wakeup and one
        // more, both before this poll, are one, and consumed by it.
        backend.wakeup();
        assertEquals(0, poll(-1));
        // Consumed: the next poll sleeps its full timeout.
        long t0 = System.nanoTime();
        assertEquals(0, poll(TimeUnit.MILLISECONDS.toNanos(30)));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(25));
    }

    @Test
    void manyWakeupsBeforeOnePollAreOneWakeupAlsoWithNothingRegistered() throws IOException {
        for (int i = 0; i < 1000; i++) backend.wakeup();
        assertEquals(0, poll(-1));
        assertEquals(0, poll(1));
        long t0 = System.nanoTime();
        assertEquals(0, poll(TimeUnit.MILLISECONDS.toNanos(30)));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(25), "the wakeups were drained");
    }

    @Test
    void anInterruptEndsABlockedPollAndLeavesTheFlagSet() throws Exception {
        AtomicBoolean flagAfter = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread poller = new Thread(() -> {
            try {
                backend.poll(-1, reports);
                flagAfter.set(Thread.currentThread().isInterrupted());
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "poller");
        poller.start();
        poller.interrupt();
        poller.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(poller.isAlive(), "poll did not return on interrupt");
        assertNull(failure.get());
        assertTrue(flagAfter.get(), "the interrupt flag stays set for the core to see");
    }

    /**
     * How many virtual threads {@link #virtualThreadsBlockedInPollDoNotHoldTheirCarriers()} blocks
     * in polls at once: more than the carriers.
     */
    protected int virtualPollers() {
        return 2 * Runtime.getRuntime().availableProcessors() + 2;
    }

    @Test
    void virtualThreadsBlockedInPollDoNotHoldTheirCarriers() throws Exception {
        int n = virtualPollers();
        List<B> more = new ArrayList<>();
        List<Thread> pollers = new ArrayList<>();
        CountDownLatch polling = new CountDownLatch(n);
        try {
            for (int i = 0; i < n; i++) {
                B b = newBackend();
                more.add(b);
                pollers.add(Thread.ofVirtual().start(() -> {
                    polling.countDown();
                    try {
                        b.poll(-1, (s, r, f, d, e) -> { });
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            assertTrue(polling.await(10, TimeUnit.SECONDS), "the pollers did not all start");
            CountDownLatch ran = new CountDownLatch(1);
            Thread.ofVirtual().start(ran::countDown);
            assertTrue(ran.await(10, TimeUnit.SECONDS), "a virtual thread could not run: pollers pin the carriers");
        } finally {
            for (B b : more) b.wakeup();
            for (Thread t : pollers) t.join(TimeUnit.SECONDS.toMillis(10));
            for (B b : more) b.close();
        }
        for (Thread t : pollers) assertFalse(t.isAlive());
    }

    // ------------------------------------------------------------------ close

    @Test
    void closeForgetsEverySourceIsIdempotentAndThenRefusesWork() throws IOException {
        Pipe pipe = pipe();
        Source a = new TestSource(pipe.source());
        Source b = new TestSource(pipe.sink());
        backend.register(a, Interest.READ);
        backend.register(b, Interest.WRITE);
        backend.register(b, Interest.WRITE); // no change: still one registration
        assertEquals(2, backend.registrationCount());
        backend.deregister(a);
        assertEquals(1, backend.registrationCount());
        backend.close();
        assertEquals(0, backend.registrationCount());
        assertNull(b.backendState());
        backend.close(); // idempotent
        backend.wakeup(); // allowed after close: does nothing
        backend.deregister(b);
        assertThrows(IllegalStateException.class, () -> backend.poll(0, reports));
        assertThrows(IllegalStateException.class, () -> backend.register(a, Interest.READ));
    }
}
