package io.kwait.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.TimeSource;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Committing channel events and a poll that fails (Chan's Javadoc, "Nothing unreported"): a
 * committed operation is never lost to a poll that fails later in the same wait (the wait returns
 * it, and the next wait on the kernel throws the failure), and a wait that throws leaves no offer
 * behind on its channels. On a backend whose poll throws when told to.
 */
@Timeout(20)
class ChanCommitPollFailureTest {

    /** A backend with nothing to watch: its poll sleeps until a wakeup, and throws while {@link #failures} is positive. */
    static final class FailingPollBackend implements Backend {
        final AtomicInteger failures = new AtomicInteger();
        final Semaphore wake = new Semaphore(0);
        /** Counted down when a poll is about to block. */
        volatile CountDownLatch blocking = new CountDownLatch(1);

        @Override public String name() { return "failing-poll"; }
        @Override public Set<Capability> capabilities() { return Set.of(); }
        @Override public void register(Source source, int interest) {}
        @Override public void deregister(Source source) {}
        @Override public int registrationCount() { return 0; }
        @Override public void close() {}
        @Override public void wakeup() { wake.release(); }

        @Override
        public int poll(long timeoutNanos, ReadySink sink) throws IOException {
            try {
                if (timeoutNanos != 0) blocking.countDown();
                if (timeoutNanos < 0) wake.acquire();
                else if (timeoutNanos > 0) wake.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            wake.drainPermits();
            if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) throw new IOException("the multiplexer failed (test)");
            return 0;
        }
    }

    private final FailingPollBackend backend = new FailingPollBackend();
    private final Loop loop = new Loop(backend, TimeSource.system());

    @AfterEach
    void close() {
        loop.close();
    }

    private List<Fired> waitOn(Event... events) throws InterruptedException {
        return loop.wait(events, Duration.ofSeconds(10));
    }

    /** The failure held back by a wait that returned a committed operation is the next wait's. */
    private void nextWaitThrowsThenWaitsWork() throws InterruptedException {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> waitOn(Event.after(Duration.ZERO)));
        assertTrue(e.getMessage().contains("the multiplexer failed (test)"), e.getMessage());
        assertEquals(1, waitOn(Event.after(Duration.ZERO)).size(), "the failure is thrown once");
    }

    @Test
    void aReceiveThatCommitsAtOnceIsReturnedWhenThePollFails() throws Exception {
        Chan<String> c = Chan.unbounded();
        assertTrue(c.trySend("m"));
        backend.failures.set(1);
        List<Fired> fired = waitOn(Event.receive(c));
        assertEquals(1, fired.size(), "fired " + fired);
        assertEquals("m", fired.get(0).result());
        assertFalse(c.tryReceive().isPresent());
        nextWaitThrowsThenWaitsWork();
    }

    @Test
    void aReceiveCommittedBySenderUnderTheWaitIsReturnedWhenThePollFails() throws Exception {
        Chan<String> c = Chan.unbounded();
        backend.failures.set(1);
        Thread sender = Thread.ofPlatform().name("sender").start(() -> {
            try {
                backend.blocking.await(); // the waiter's offer is on the channel
                c.send("m");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        List<Fired> fired = waitOn(Event.receive(c));
        sender.join(10_000);
        assertEquals(1, fired.size(), "fired " + fired);
        assertEquals("m", fired.get(0).result());
        nextWaitThrowsThenWaitsWork();
    }

    @Test
    void aSendTakenByAReceiverUnderTheWaitIsReturnedWhenThePollFails() throws Exception {
        Chan<String> c = Chan.rendezvous();
        backend.failures.set(1);
        String[] got = new String[1];
        Thread receiver = Thread.ofPlatform().name("receiver").start(() -> {
            try {
                backend.blocking.await();
                got[0] = c.receive();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        List<Fired> fired = waitOn(Event.send(c, "m"));
        receiver.join(10_000);
        assertEquals("m", got[0]);
        assertEquals(1, fired.size(), "the receiver has the message, so the send fired: " + fired);
        assertFalse(fired.get(0).isError());
        nextWaitThrowsThenWaitsWork();
    }

    @Test
    void aWaitThatCommittedNothingThrowsThePollFailure() throws Exception {
        Chan<String> c = Chan.unbounded();
        backend.failures.set(1);
        assertThrows(UncheckedIOException.class, () -> waitOn(Event.receive(c), Event.after(Duration.ZERO)));
        assertTrue(c.trySend("m"), "the withdrawn offer took nothing");
        assertEquals("m", c.tryReceive().orElseThrow());
        assertEquals(1, waitOn(Event.after(Duration.ZERO)).size(), "nothing held back");
    }
}
