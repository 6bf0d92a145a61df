package io.kwait.core;

import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.Source;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The home of channels and raw fds: one {@link Watch} (the backend's {@link Source}) per channel
 * or fd, reused by every wait on it. A ready bit nobody waits for any more is disarmed when it
 * next fires (lazy disarm), so a loop that waits on the same channel again and again costs no
 * re-registration.
 *
 * <p>No work for a readiness nobody waits for yet: once every subscription that wants a ready bit
 * has fired, the watch marks that bit {@linkplain Source#fired() fired} and the backend skips it
 * (no report, no byte count) until a new wait subscribes to it. Level-triggered, so whatever is
 * still ready then is reported by the next poll. Until then each waiter it woke is runnable, so
 * no poll blocks meanwhile (a fired bit on a level-triggered fd would make it return at once).
 *
 * <p>A channel closed while a wait watches it: the OS drops a closed fd from epoll and kqueue
 * silently, and the JDK's selector reports nothing either until its next operation, so no
 * backend can be relied on to tell (nor can kwait hook {@code close()}: the JDK offers no close
 * listener, and a selection key of kwait's own on the channel would defer the fd's close until
 * kwait deregisters it). While any wait watches a channel, the loop therefore blocks at most
 * {@link #CLOSED_CHECK_NANOS} at a time, and every such interval asks the next
 * {@link #CLOSED_CHECK_SLICE} watched channels, round robin, {@code isOpen()}. The cost is
 * bounded whatever the number of watched channels (no work per idle watch beyond its turn), and a
 * wait on a channel closed under it ends with its ERROR {@code Fired} within one rotation:
 * {@code CLOSED_CHECK_NANOS * ceil(N / CLOSED_CHECK_SLICE)} for N watched channels (50 ms up to
 * 1,024 channels, 0.5 s at 10,000), plus scheduling.
 */
public final class FdHome implements Home {
    private final Loop loop;
    private final Backend backend;
    private final Map<Object, Watch> watches = new HashMap<>();
    private int sweepAt = 64;
    /** How often, at most, the channels waits watch are asked whether they were closed. */
    static final long CLOSED_CHECK_NANOS = 50_000_000;
    /** How many watched channels, at most, one closed check asks. */
    static final int CLOSED_CHECK_SLICE = 1024;
    /**
     * The watches of channels some wait watches now, the closed check's round robin: those before
     * {@link #checkCursor} were asked in the current rotation, the rest were not yet. A removal
     * keeps that split, so every watch is asked once per rotation.
     */
    private Watch[] checked = new Watch[16];
    private int checkedCount;
    private int checkCursor;
    private long lastClosedCheck = System.nanoTime();
    /** {@code isOpen()} calls the closed check made (one per turn, one per closed channel found), for tests. */
    long closedChecks;
    /** Watches with fired bits now; a blocking poll with one would be a bug (see the class comment). */
    private int firedWatches;

    FdHome(Loop loop) {
        this.loop = loop;
        this.backend = loop.backend;
    }

    // ---------------------------------------------------------------- validation (Event's factories)

    /** Refuses a channel that can never be readable. */
    public static void checkReadable(SelectableChannel channel) {
        if ((channel.validOps() & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) == 0) {
            throw new IllegalArgumentException(channel.getClass().getSimpleName()
                    + " is never readable (it is a write-only channel); wait for Event.writable(...) instead");
        }
    }

    /** Refuses a channel that can never be writable. */
    public static void checkWritable(SelectableChannel channel) {
        if ((channel.validOps() & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) == 0) {
            throw new IllegalArgumentException(channel.getClass().getSimpleName()
                    + " is never writable (it is a read-only channel); wait for Event.readable(...) instead");
        }
    }

    /** Refuses a negative fd. */
    public static int checkFd(int fd) {
        if (fd < 0) throw new IllegalArgumentException("fd must be >= 0, got " + fd);
        return fd;
    }

    @Override
    public void check(Event e) {
        if (e.kind() == Event.Kind.CHANNEL) {
            SelectableChannel ch = (SelectableChannel) e.resource();
            if (ch.isOpen() && ch.isBlocking()) {
                throw new IllegalArgumentException(ch.getClass().getSimpleName()
                        + " is in blocking mode; call configureBlocking(false) before waiting on it (" + e + ")");
            }
        } else if (!loop.capabilities.contains(Capability.RAW_FD)) {
            throw new UnsupportedOperationException("the " + backend.name() + " backend cannot wait on raw file descriptors ("
                    + e + "); use a native backend (Kernel.open(\"epoll\") on Linux, \"kqueue\" on macOS/BSD) "
                    + "or wait on a SelectableChannel");
        }
    }

    // ---------------------------------------------------------------- watches

    /** One channel or fd registered with the backend. */
    final class Watch extends Source {
        final Object key;
        int armed;
        final ArrayList<Subscription> subs = new ArrayList<>(2);
        /** Its index in {@link #checked}, or -1 while no wait watches it (or it is not a channel's). */
        int checkSlot = -1;

        Watch(SelectableChannel ch) { super(ch); key = ch; }

        Watch(int fd) { super(Kind.FD, fd); key = fd; }

        /** A readiness report from the backend. */
        void dispatch(int ready, int flags, long data, Throwable error) {
            boolean failed = (flags & ReadyFlags.ERROR) != 0;
            int fflags = ((flags & ReadyFlags.EOF) != 0 ? Access.EOF : 0) | (failed ? Access.ERROR : 0);
            int wanted = 0;
            for (int k = 0, n = subs.size(); k < n; k++) {
                Subscription s = subs.get(k);
                wanted |= s.ops;
                if (s.hasFired()) continue; // its wait has this event's result already
                if (failed || (ready & s.ops) != 0) s.fire(Access.api().fired(s.event(), fflags, data, null, error, false));
            }
            if (failed) {
                forget();
                return;
            }
            if ((ready & armed & ~wanted) != 0) {
                // Nobody waits for this any more: silence it now rather than on every wait (lazy disarm).
                rearm(wanted);
            }
            updateFired();
        }

        /** The fired bits: those that only subscriptions which have fired want. */
        void updateFired() {
            int done = 0, open = 0;
            for (int k = 0, n = subs.size(); k < n; k++) {
                Subscription s = subs.get(k);
                if (s.hasFired()) done |= s.ops; else open |= s.ops;
            }
            markFired(done & ~open);
        }

        void markFired(int bits) {
            int was = fired();
            if (was == bits) return;
            if (was == 0) firedWatches++;
            else if (bits == 0) firedWatches--;
            setFired(bits);
        }

        private void rearm(int ops) {
            try {
                backend.register(this, ops);
                armed = ops;
            } catch (IOException e) {
                dispatch(Interest.READ | Interest.WRITE, ReadyFlags.ERROR, 0, e);
            }
        }

        void forget() {
            backend.deregister(this);
            armed = 0;
            markFired(0);
            unchecked(this);
            watches.remove(key, this);
        }

        boolean isClosedChannel() { return channel() != null && !channel().isOpen(); }
    }

    @Override
    public void subscribe(WaitCall call, int i, Event e) {
        Object key;
        if (e.kind() == Event.Kind.CHANNEL) {
            SelectableChannel ch = (SelectableChannel) e.resource();
            if (!ch.isOpen()) {
                call.fire(i, Access.api().fired(e, Access.ERROR, 0, null, new ClosedChannelException(), false));
                return;
            }
            key = ch;
        } else {
            key = (int) Access.api().number(e);
        }
        Watch w = watches.get(key);
        if (w == null) {
            if (watches.size() >= sweepAt) sweep();
            w = key instanceof SelectableChannel ch ? new Watch(ch) : new Watch((Integer) key);
            watches.put(key, w);
        }
        int ops = e.filter() == Filter.READ ? Interest.READ : Interest.WRITE;
        Subscription sub = new Subscription(call, i, this, w, ops);
        w.subs.add(sub);
        call.add(sub);
        if ((w.fired() & ops) != 0) w.markFired(w.fired() & ~ops); // wanted again: reported again
        if (w.channel() != null && w.checkSlot < 0) checked(w);
        if ((w.armed & ops) != ops) {
            try {
                backend.register(w, w.armed | ops);
                w.armed |= ops;
            } catch (IOException ex) {
                // A resource error, not a call error: this event fires with it, the others go on.
                call.fire(i, Access.api().fired(e, Access.ERROR, 0, null, ex, false));
                w.subs.remove(sub);
                if (w.subs.isEmpty()) w.forget();
            }
        }
    }

    /**
     * After a normal return an idle channel watch stays (silently armed until it next fires) so the
     * next wait on the same channel costs nothing; after a wait that threw it is released at once.
     * A raw fd's watch never stays idle: kwait cannot see a raw fd being closed, and its number may
     * be reused by the next pipe or socket the program opens, which must not inherit the old
     * registration (issue 9, defect 8). A loop on one raw fd therefore pays a register and a
     * deregister per wait.
     */
    @Override
    public void release(Subscription s, boolean abandoned) {
        Watch w = (Watch) s.watch;
        w.subs.remove(s);
        if (w.subs.isEmpty()) unchecked(w);
        if (w.subs.isEmpty() && (abandoned || w.channel() == null || w.isClosedChannel())) w.forget();
        else if (w.fired() != 0) w.updateFired();
    }

    // ---------------------------------------------------------------- channels closed under a wait

    /** The poll timeout, shortened to the closed check's interval while waits watch channels. */
    long pollTimeout(long timeout) {
        if (timeout != 0 && firedWatches > 0) unfireAll();
        if (checkedCount == 0 || timeout >= 0 && timeout <= CLOSED_CHECK_NANOS) return timeout;
        return CLOSED_CHECK_NANOS;
    }

    /** Watches with fired bits now: sources a level-triggered poll may hand back only to be skipped. */
    int firedCount() { return firedWatches; }

    /** Fires ERROR for the watched channels of the next slice that were closed, when the interval has passed. */
    void checkClosed() { checkClosed(System.nanoTime()); }

    void checkClosed(long now) {
        if (checkedCount == 0 || now - lastClosedCheck < CLOSED_CHECK_NANOS) return;
        lastClosedCheck = now;
        // A slice of open channels; a closed one found costs no turn (each is found once), so
        // between two turns of a watch there are at most as many turns as watches.
        for (int turns = Math.min(CLOSED_CHECK_SLICE, checkedCount); turns > 0 && checkedCount > 0; ) {
            if (checkCursor >= checkedCount) checkCursor = 0; // a rotation ends, the next begins
            Watch w = checked[checkCursor];
            closedChecks++;
            if (w.isClosedChannel()) {
                // Its dispatch forgets it, which takes it out of the round robin; the cursor stays.
                w.dispatch(Interest.READ | Interest.WRITE, ReadyFlags.ERROR, 0, new ClosedChannelException());
                if (w.checkSlot >= 0) unchecked(w);
            } else {
                checkCursor++;
                turns--;
            }
        }
    }

    /** Adds {@code w} to the closed check's round robin, as not yet asked in this rotation. */
    private void checked(Watch w) {
        if (checkedCount == checked.length) checked = Arrays.copyOf(checked, checkedCount * 2);
        w.checkSlot = checkedCount;
        checked[checkedCount++] = w;
    }

    /**
     * Takes {@code w} out of the round robin, if it is in. A watch already asked in this rotation
     * is replaced by the last one asked, whose place the last watch of the array takes, as the
     * first not yet asked: so the rotation still asks every watch it has not asked yet.
     */
    private void unchecked(Watch w) {
        int i = w.checkSlot;
        if (i < 0) return;
        w.checkSlot = -1;
        int last = --checkedCount;
        if (i < checkCursor) {
            move(--checkCursor, i);
            i = checkCursor;
        }
        move(last, i);
        checked[last] = null;
    }

    private void move(int from, int to) {
        if (from == to) return;
        Watch m = checked[from];
        checked[to] = m;
        m.checkSlot = to;
    }

    /**
     * Not expected: a fired bit's waiter is runnable, so the loop does not block while one exists.
     * Should a path ever do so, the bits are cleared first: a level-triggered backend skipping a
     * ready fd would otherwise return from every blocking poll at once.
     */
    private void unfireAll() {
        for (Watch w : watches.values()) w.markFired(0);
    }

    /** Drops idle watches of channels the program closed. */
    private void sweep() {
        for (Watch w : new ArrayList<>(watches.values())) {
            if (w.subs.isEmpty() && w.isClosedChannel()) w.forget();
        }
        sweepAt = Math.max(64, watches.size() * 2);
    }

    /** Watches held now: idle watches of channels the program closed are dropped first, so they never count. */
    @Override
    public int count() {
        sweep();
        return watches.size();
    }

    @Override
    public void close() {
        for (Watch w : watches.values()) backend.deregister(w);
        watches.clear();
        firedWatches = 0;
        Arrays.fill(checked, 0, checkedCount, null);
        checkedCount = checkCursor = 0;
    }
}
