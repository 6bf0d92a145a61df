package io.kwait.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.TimeSource;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The closed check (issue 9 defect 9, made cheap by issue 12): what one check costs is bounded
 * whatever the number of channels waits watch, and a channel closed under a wait is still found
 * within one rotation of {@link FdHome#CLOSED_CHECK_SLICE} channels per interval (a closed one
 * found costs one more {@code isOpen()}, once). Counted, not
 * timed: the checks are driven with made-up times, over a backend that reports nothing.
 */
class FdHomeClosedCheckTest {
    private static final long TICK = FdHome.CLOSED_CHECK_NANOS;
    private final List<DatagramChannel> open = new ArrayList<>();
    private final Loop loop = new Loop(new Silent(), TimeSource.system());
    private final FdHome fds = new FdHome(loop);
    /** A time past the first interval, whatever the clock said when the home was made. */
    private long now = System.nanoTime() + TICK;

    @AfterEach
    void closeChannels() throws IOException {
        for (DatagramChannel c : open) c.close();
    }

    @Test
    void aCheckAsksAtMostOneSliceOncePerIntervalWhateverTheNumberOfWatchedChannels() throws IOException {
        int n = 2 * FdHome.CLOSED_CHECK_SLICE + 500;
        List<WaitCall> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) calls.add(waitOn(channel()));

        long before = fds.closedChecks;
        fds.checkClosed(now);
        assertEquals(FdHome.CLOSED_CHECK_SLICE, fds.closedChecks - before, "one check, " + n + " idle watches");
        before = fds.closedChecks;
        fds.checkClosed(now + TICK - 1);
        assertEquals(0, fds.closedChecks - before, "a second check within the interval asks nobody");

        // The worst case: closed just after its turn. Found within one rotation (ceil(n / slice) checks).
        open.get(0).close();
        int rotation = (n + FdHome.CLOSED_CHECK_SLICE - 1) / FdHome.CLOSED_CHECK_SLICE;
        int checks = 0;
        while (!calls.get(0).done && checks <= rotation) {
            before = fds.closedChecks;
            fds.checkClosed(now += TICK);
            checks++;
            assertTrue(fds.closedChecks - before <= FdHome.CLOSED_CHECK_SLICE + 1, "a check asked " + (fds.closedChecks - before));
        }
        assertTrue(calls.get(0).done, "not found after " + checks + " checks");
        assertTrue(checks <= rotation, checks + " checks, the bound is " + rotation);
        Fired f = calls.get(0).results().get(0);
        assertTrue(f.isError(), f.toString());
        assertInstanceOf(ClosedChannelException.class, f.error());
        for (int i = 1; i < n; i++) assertTrue(!calls.get(i).done, "an open channel's wait ended");
    }

    @Test
    void fewWatchedChannelsAreEachAskedOncePerCheck() throws IOException {
        for (int i = 0; i < 3; i++) waitOn(channel());
        long before = fds.closedChecks;
        fds.checkClosed(now);
        assertEquals(3, fds.closedChecks - before);
        WaitCall idle = waitOn(channel());
        idle.completedNormally = true;
        idle.undoAll(); // its watch stays for the next wait, but no wait watches it: not asked
        before = fds.closedChecks;
        fds.checkClosed(now += TICK);
        assertEquals(3, fds.closedChecks - before);
    }

    @Test
    void noCheckWhileNoWaitWatchesAChannel() throws IOException {
        WaitCall c = waitOn(channel());
        assertEquals(FdHome.CLOSED_CHECK_NANOS, fds.pollTimeout(-1), "blocks at most an interval while a wait watches a channel");
        c.completedNormally = true;
        c.undoAll();
        assertEquals(-1, fds.pollTimeout(-1));
        long before = fds.closedChecks;
        fds.checkClosed(now);
        assertEquals(0, fds.closedChecks - before);
    }

    /**
     * Waits start and end and channels close in random order: every wait on a closed channel ends
     * with ERROR within one rotation of the most channels watched meanwhile, and no check asks
     * more than a slice of open channels.
     */
    @Test
    void underRandomWaitsEndsAndClosesEveryClosedChannelIsFoundWithinARotation() throws IOException {
        int few = randomWalk(12, 40, 60, 70);  // hovers under a slice: checks wrap around within one interval
        int many = randomWalk(13, 50, 60, 66); // grows to thousands: a rotation takes several intervals
        assertTrue(few <= FdHome.CLOSED_CHECK_SLICE && many > 2 * FdHome.CLOSED_CHECK_SLICE, few + ", " + many);
    }

    /**
     * Waits start and end and channels close in random order (per 100 operations: below
     * {@code add} a wait starts, below {@code end} one ends, below {@code close} a watched channel
     * closes, the rest are checks): every wait on a closed channel ends with ERROR within one
     * rotation of the most channels watched meanwhile, and no check asks more than a slice of
     * open channels. Returns the most channels watched at once.
     */
    private int randomWalk(long seed, int add, int end, int close) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        List<WaitCall> waiting = new ArrayList<>();
        Map<WaitCall, Integer> closedAtCheck = new HashMap<>();
        int checks = 0, most = 0, opened = open.size();
        for (int op = 0; op < 20_000; op++) {
            int what = r.nextInt(100);
            if (what < add && open.size() - opened < 4_000) {
                waiting.add(waitOn(channel()));
            } else if (what < end && !waiting.isEmpty()) {
                WaitCall c = waiting.remove(r.nextInt(waiting.size())); // its wait ends (what woke it does not matter)
                closedAtCheck.remove(c);
                c.completedNormally = true;
                c.undoAll();
            } else if (what < close && !waiting.isEmpty()) {
                WaitCall c = waiting.get(r.nextInt(waiting.size()));
                if (!closedAtCheck.containsKey(c)) {
                    ((DatagramChannel) c.events[0].resource()).close();
                    closedAtCheck.put(c, checks);
                }
            } else {
                most = Math.max(most, waiting.size());
                long before = fds.closedChecks;
                fds.checkClosed(now += TICK);
                checks++;
                List<WaitCall> found = new ArrayList<>();
                int rotation = (most + FdHome.CLOSED_CHECK_SLICE - 1) / FdHome.CLOSED_CHECK_SLICE;
                for (Map.Entry<WaitCall, Integer> e : closedAtCheck.entrySet()) {
                    WaitCall c = e.getKey();
                    if (c.done) {
                        assertTrue(c.results().get(0).isError(), c.results().toString());
                        found.add(c);
                    } else {
                        assertTrue(checks - e.getValue() < rotation, "closed " + (checks - e.getValue()) + " checks ago, not found;"
                                + " a rotation is " + rotation);
                    }
                }
                assertTrue(fds.closedChecks - before <= FdHome.CLOSED_CHECK_SLICE + found.size(),
                        "a check asked " + (fds.closedChecks - before) + ", finding " + found.size() + " closed");
                for (WaitCall c : found) { // the waiter resumes
                    waiting.remove(c);
                    closedAtCheck.remove(c);
                    c.completedNormally = true;
                    c.undoAll();
                }
            }
        }
        for (WaitCall c : waiting) {
            c.completedNormally = true;
            c.undoAll();
        }
        return most;
    }

    // ---------------------------------------------------------------- helpers

    private DatagramChannel channel() throws IOException {
        DatagramChannel c = DatagramChannel.open();
        open.add(c);
        c.configureBlocking(false);
        return c;
    }

    /** A wait of a plain thread on {@code readable(c)}, subscribed (it would block in the loop now). */
    private WaitCall waitOn(DatagramChannel c) {
        Event e = Event.readable(c);
        WaitCall call = new WaitCall(loop, new Event[] {e}, null, 0);
        fds.subscribe(call, 0, e);
        assertTrue(!call.done, "nothing is ready yet");
        return call;
    }

    /** Accepts every registration and never reports anything. */
    private static final class Silent implements Backend {
        private final Set<Source> registered = new HashSet<>();

        @Override public String name() { return "silent"; }

        @Override public Set<Capability> capabilities() { return Set.of(); }

        @Override public void register(Source source, int interest) { registered.add(source); }

        @Override public void deregister(Source source) { registered.remove(source); }

        @Override public int poll(long timeoutNanos, ReadySink sink) { return 0; }

        @Override public void wakeup() {}

        @Override public int registrationCount() { return registered.size(); }

        @Override public void close() { registered.clear(); }
    }
}
