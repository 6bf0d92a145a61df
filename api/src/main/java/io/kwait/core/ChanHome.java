package io.kwait.core;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The home of channels. Readiness events ({@code Event.recv}/{@code Event.send}) get a
 * {@link Watcher} on the channel per subscription, added atomically with the readiness check.
 * Committing events ({@code Event.receive}, {@code Event.send(chan, message)}) are handled
 * together, once every other event of the wait is subscribed ({@link #commitOrOffer}): the first
 * in list order that can move a message at once does so; if none can, each leaves an
 * {@link Offer} on its channel, and the first counterparty to take one wins the wait's
 * {@link Selection}, so at most one commits per wait (Go's {@code select}). {@link #settle}
 * closes the selection before the wait returns or throws: no offer commits after it, and one
 * that did is in the results, whatever ended the wait.
 *
 * <p>A change reaches the owner thread through {@link Loop#post}; the channel keeps its watchers
 * and its offers under its own lock.
 */
public final class ChanHome implements Home {
    /** Readiness of a channel for one direction. */
    public static final int NOT_READY = 0, READY = 1, READY_CLOSED = 2;

    /** Something (a kernel wait) that wants to hear when a channel may have become ready. */
    public abstract static class Watcher {
        /** Whether it waits to receive (else to send). */
        public final boolean recv;
        /** The wait it belongs to: its own offers do not make the channel ready for it. */
        final WaitCall call;

        Watcher(boolean recv, WaitCall call) {
            this.recv = recv;
            this.call = call;
        }

        /** Called outside the channel's lock, from any thread. */
        public abstract void changed();
    }

    /**
     * One party parked in a channel's queue of senders or receivers: a blocked send or receive
     * ({@link Suspension}), or a committing wait's {@link Offer}. All but {@link #wake()} run
     * under the channel's lock.
     */
    public interface Party {
        /**
         * Completes this party's operation, handing it {@code message} when it receives (null
         * when it sends: its message is {@link #item()}). False if it can no longer complete (an
         * offer whose wait committed another event or ended); the caller drops it and tries the next.
         */
        boolean complete(Object message);

        /** The channel closed under it; returns whether it must be woken. */
        boolean closed();

        /** The message it sends, or the one it received. */
        Object item();

        /** Wakes it, outside the channel's lock, from any thread. */
        void wake();

        /** Whether it can still complete: false only for an offer of a settled or committed wait. */
        default boolean isLive() { return true; }

        /** The wait whose offer it is, or null for a blocked send or receive. */
        default Object waitCall() { return null; }
    }

    /**
     * Which committing event of one wait committed: {@link #OPEN} while none did and the wait
     * goes on, the event's index once one did, {@link #SETTLED} once the wait ended without.
     * Taken by one compare-and-set, from any thread, under the lock of the offer's channel.
     */
    static final class Selection {
        static final int OPEN = -1, SETTLED = -2;
        final AtomicInteger state = new AtomicInteger(OPEN);
        final List<Offer> offers = new ArrayList<>(2);

        boolean isOpen() { return state.get() == OPEN; }
    }

    /** A committing event's entry in its channel's queue while its wait is open (Go's sudog). */
    public static final class Offer implements Party {
        /** Whether it receives (else it sends {@link #item()}). */
        public final boolean recv;
        final Chan<?> chan;
        final Event event;
        final int index;
        final WaitCall call;
        final Selection selection;
        private final ChanHome home;
        private Object item;
        /** The channel was closed under it (set under the channel's lock, read by the owner after a post). */
        private volatile boolean closedUnder;

        Offer(ChanHome home, WaitCall call, int index, Event e, Selection selection) {
            this.home = home;
            this.call = call;
            this.index = index;
            this.event = e;
            this.chan = (Chan<?>) e.resource();
            this.recv = e.filter() == Filter.RECV;
            this.selection = selection;
            this.item = recv ? null : Access.api().message(e);
        }

        /** The channel it is offered on. */
        public Chan<?> chan() { return chan; }

        @Override
        public boolean complete(Object message) {
            if (recv) item = message; // before the CAS, which publishes it to the owner's settle
            return selection.state.compareAndSet(Selection.OPEN, index);
        }

        @Override
        public boolean closed() {
            if (!selection.isOpen()) return false;
            closedUnder = true;
            return true;
        }

        @Override public Object item() { return item; }

        @Override public boolean isLive() { return selection.isOpen(); }

        @Override public Object waitCall() { return call; }

        /** Any thread: the owner fires the event (committed, or the channel closed under it). */
        @Override
        public void wake() { home.loop.post(() -> call.fire(index, closedUnder ? closedFired(event) : committedFired(this))); }
    }

    private final Loop loop;
    private int subscribed;

    ChanHome(Loop loop) { this.loop = loop; }

    @Override
    public void subscribe(WaitCall call, int i, Event e) {
        if (Access.api().commits(e)) {
            // Handled with the wait's other committing events, after everything else is subscribed.
            if (call.selection == null) call.selection = new Selection();
            call.selection.offers.add(new Offer(this, call, i, e, call.selection));
            return;
        }
        Chan<?> chan = (Chan<?>) e.resource();
        boolean recv = e.filter() == Filter.RECV;
        Watcher w = new Watcher(recv, call) {
            @Override
            public void changed() {
                loop.post(() -> {
                    int s = Access.api().readiness(chan, recv, call);
                    if (s != NOT_READY) call.fire(i, readinessFired(e, s));
                });
            }
        };
        int state = Access.api().watchUnlessReady(chan, w);
        if (state != NOT_READY) {
            call.fire(i, readinessFired(e, state));
            return;
        }
        call.add(new Subscription(call, i, this, w, 0));
        subscribed++;
    }

    /**
     * The committing events of {@code call}, once its other events are subscribed: the first in
     * list order that can move a message now does (or reports its channel closed); if none can
     * and the wait will block ({@code poll} false, nothing fired yet), each leaves an offer.
     */
    void commitOrOffer(WaitCall call, boolean poll) {
        Selection sel = call.selection;
        if (sel == null) return;
        Offer[] offers = sel.offers.toArray(new Offer[0]);
        if (Access.api().commitOrOffer(offers, !poll && !call.done)) {
            // Left on their channels: withdrawn (and settled) by the wait's undo, however it ends.
            for (Offer o : offers) {
                call.add(new Subscription(call, o.index, this, o, 0));
                subscribed++;
            }
        }
        int won = sel.state.get();
        for (Offer o : offers) {
            if (o.index == won) call.fire(o.index, committedFired(o));
            else if (o.closedUnder) call.fire(o.index, closedFired(o.event));
        }
    }

    /**
     * Ends the wait's selection: after it no offer of {@code call} can commit, and one that did
     * has its {@code Fired} in the results (its post may not have run yet). Returns whether the
     * wait has results to return; a cancelled or interrupted wait that committed returns them
     * (the operation is never undone), and the cancellation is seen at the next wait.
     */
    boolean settle(WaitCall call) {
        Selection sel = call.selection;
        if (sel != null && !sel.state.compareAndSet(Selection.OPEN, Selection.SETTLED)) {
            int won = sel.state.get();
            for (Offer o : sel.offers) if (o.index == won) call.fire(won, committedFired(o));
        }
        return call.done;
    }

    /**
     * {@link #settle} for a wait that is failing (a poll threw): returns whether one of its
     * committing events committed, whose {@code Fired} is then in the results. Such a wait
     * returns them rather than throw, since the operation cannot be undone (a receiver's message
     * was taken, a sender's was handed on).
     */
    boolean settleFailing(WaitCall call) {
        Selection sel = call.selection;
        if (sel == null) return false;
        settle(call);
        return sel.state.get() >= 0;
    }

    private static Fired readinessFired(Event e, int readiness) {
        return Access.api().fired(e, readiness == READY_CLOSED ? Access.EOF : 0, 0, null, null, false);
    }

    /** A committed receive carries its message; a committed send nothing. */
    private static Fired committedFired(Offer o) {
        return Access.api().fired(o.event, 0, 0, o.recv ? o.item : null, null, false);
    }

    /** A committing receive on a closed, drained channel: EOF; a committing send on a closed one: EOF and ERROR, not sent. */
    private static Fired closedFired(Event e) {
        if (e.filter() == Filter.RECV) return Access.api().fired(e, Access.EOF, 0, null, null, false);
        return Access.api().fired(e, Access.EOF | Access.ERROR, 0, null,
                Access.api().chanClosed("send on a closed channel: the message was not sent"), false);
    }

    @Override
    public void release(Subscription s, boolean abandoned) {
        if (s.watch instanceof Offer o) {
            o.selection.state.compareAndSet(Selection.OPEN, Selection.SETTLED); // settled already, unless the wait failed
            Access.api().withdraw(o);
        }
        else Access.api().removeWatcher((Chan<?>) s.event().resource(), (Watcher) s.watch);
        subscribed--;
    }

    /** Subscriptions now; channels are no kernel resource, so {@code Kernel.stats()} does not count them. */
    @Override
    public int count() { return subscribed; }

    @Override
    public void close() { subscribed = 0; }
}
