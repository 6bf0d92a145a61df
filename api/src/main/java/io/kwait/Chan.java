package io.kwait;

import io.kwait.core.ChanHome;
import io.kwait.core.Suspension;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A channel that carries messages between tasks (and threads): rendezvous, bounded or unbounded.
 * {@link #send} and {@link #receive} suspend only the calling task (a plain thread blocks);
 * {@link #trySend} and {@link #tryReceive} never wait; in a {@link Kernel#wait} among any other
 * events, {@link Event#receive}/{@link Event#send(Chan, Object)} receive or send (Go's
 * {@code select}), {@link Event#recv}/{@link Event#send(Chan)} only report readiness.
 *
 * <pre>{@code
 * Chan<String> lines = Chan.bounded(64);
 * Task.spawn(() -> { for (String s : lines) System.out.println(s); return null; });
 * lines.send("hello");
 * lines.close();          // the reader drains what was sent, then its loop ends
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * Every message sent is received exactly once, in send order per sender. An operation that
 * completed is never undone: if a task is cancelled (or a thread interrupted) just as its
 * send or receive completes, the operation returns normally and the cancellation is seen at the
 * task's next wait. An operation that did not complete throws and leaves the channel as if it had
 * never started. Null messages are refused. Thread-safe: sending from a plain thread wakes the
 * kernel of any task waiting on the channel.
 *
 * <p>Memory visibility: what a sender did before {@code send} (or a successful {@code trySend})
 * happens-before what the receiver does after the {@code receive} (or {@code tryReceive}, or
 * iteration step) that takes that message, across tasks and threads alike; so a channel is also
 * how a plain thread hands results to tasks. On a rendezvous channel the receiver's actions before
 * taking the message also happen-before the sender's return.
 *
 * <h2>Closing</h2>
 * After {@link #close()}, {@code send} throws {@link ChanClosedException}; receivers first get
 * every message already sent, then {@code receive} throws {@link ChanClosedException},
 * {@code tryReceive} returns empty with {@link #isClosed()} true, and iteration ends. Senders
 * blocked at close (their message not taken) get {@code ChanClosedException}.
 *
 * <h2>In a wait: committing and readiness events</h2>
 * A channel takes part in a {@link Kernel#wait} in two forms.
 * <em>Committing</em> events perform the operation, as a case of Go's {@code select} does:
 * {@link Event#receive} fires with the message it took in {@link Fired#result()};
 * {@link Event#send(Chan, Object)} fires once the channel has taken its message (a receiver has
 * it, or it is buffered). <em>Readiness</em> events, {@link Event#recv} and
 * {@link Event#send(Chan)}, only report that the operation would not wait now; the
 * {@code tryReceive}/{@code trySend} that follows can still find nothing when another party was faster.
 * <ul>
 *   <li><b>One commits.</b> At most one committing event commits per wait: of those that could,
 *       the first in list order (biased, like Kotlin's {@code select}; Go picks at random: rotate
 *       the list where fairness matters). The wait's other events (fds, timers, readiness) fire
 *       alongside as usual, and so do closed-channel reports of its other committing events.</li>
 *   <li><b>Nothing unreported.</b> A committing event that did not fire did nothing: a wait that
 *       returns on its timeout or on another event, and a wait that throws, took and sent nothing
 *       through it. If the task is cancelled (the thread interrupted, the kernel closed) just as
 *       one commits, the wait returns it normally and the cancellation is seen at the next wait,
 *       as for {@code send} and {@code receive}. Likewise when the backend's poll fails (an
 *       {@code UncheckedIOException}) in a wait that had committed one: that wait returns what
 *       fired, the committed operation with it, and the next wait on the kernel throws the failure.</li>
 *   <li><b>Closed.</b> A committing receive fires with {@link Fired#isEof()} (nothing taken) once
 *       the channel is closed and drained; a committing send fires with {@code isEof()} and
 *       {@link Fired#isError()} (a {@link ChanClosedException}): not sent.</li>
 *   <li><b>Who meets whom.</b> A party that offers (a blocked {@code send} or {@code receive}, a
 *       committing wait) meets any counterparty: another offering party, a try- call, a
 *       readiness waiter by the try- call that follows. On a rendezvous channel two readiness
 *       waiters on opposite ends never meet, since neither offers; and a wait never meets itself
 *       (a send and a receive on one channel in one wait pair only with other parties, and its
 *       own offers never make its readiness events fire).</li>
 *   <li>A poll ({@code Duration.ZERO}) commits only what can commit at once.</li>
 * </ul>
 * Tasks of any scheduler and plain threads, on any kernels, meet the same way: each party
 * parks in the channel's queues, and the one that completes it wakes the other's kernel.
 *
 * @param <T> the message type
 */
public final class Chan<T> implements Iterable<T> {
    private static final int NOT_READY = ChanHome.NOT_READY, READY = ChanHome.READY, READY_CLOSED = ChanHome.READY_CLOSED;

    private static final AtomicLong IDS = new AtomicLong();

    /** The order in which one wait takes the locks of several channels (so two waits never deadlock). */
    private final long id = IDS.incrementAndGet();
    private final Object lock = new Object();
    private final int capacity;
    private final ArrayDeque<T> buffer = new ArrayDeque<>();
    // Parked parties in arrival order: blocked sends/receives (Suspension) and committing waits' offers.
    private final ArrayDeque<ChanHome.Party> receivers = new ArrayDeque<>();
    private final ArrayDeque<ChanHome.Party> senders = new ArrayDeque<>();
    private final List<ChanHome.Watcher> watchers = new ArrayList<>();
    private boolean closed;

    private Chan(int capacity) { this.capacity = capacity; }

    /** A channel with no buffer: a send completes only when a receiver takes the message. */
    public static <T> Chan<T> rendezvous() { return new Chan<>(0); }

    /** A channel that buffers up to {@code capacity} messages; senders wait while it is full. */
    public static <T> Chan<T> bounded(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1, got " + capacity + "; use Chan.rendezvous() for none");
        return new Chan<>(capacity);
    }

    /** A channel whose senders never wait (memory is the limit). */
    public static <T> Chan<T> unbounded() { return new Chan<>(Integer.MAX_VALUE); }

    /** 0 for rendezvous, {@code Integer.MAX_VALUE} for unbounded. */
    public int capacity() { return capacity; }

    /** Messages buffered now. */
    public int size() { synchronized (lock) { return buffer.size(); } }

    /** Whether {@link #close()} was called (messages may still be waiting to be received). */
    public boolean isClosed() { synchronized (lock) { return closed; } }

    /**
     * Sends {@code message}, waiting while the channel is full (for a rendezvous channel: until a
     * receiver takes it).
     *
     * @throws ChanClosedException    the channel is closed, or was closed before the message was taken
     * @throws TaskCancelledException the task was cancelled before the message was taken (it was not sent)
     * @throws InterruptedException   the plain thread was interrupted before the message was taken
     */
    public void send(T message) throws InterruptedException {
        Objects.requireNonNull(message, "message: channels do not carry null");
        Suspension node = null;
        ChanHome.Party toWake;
        List<ChanHome.Watcher> notify;
        synchronized (lock) {
            if (closed) throw new ChanClosedException("send on a closed channel");
            toWake = handToReceiver(message);
            if (toWake == null && !bufferIfRoom(message)) {
                node = new Suspension();
                node.item(message);
                senders.add(node);
            }
            notify = watchersFor(true); // a buffered message or a waiting sender makes RECV ready
        }
        if (toWake != null) toWake.wake();
        notifyWatchers(notify);
        if (node != null) await(node, senders, "channel closed before the message was received");
    }

    /**
     * Receives the next message, waiting while there is none.
     *
     * @throws ChanClosedException    the channel is closed and every message has been received
     * @throws TaskCancelledException the task was cancelled before a message arrived (none was taken)
     * @throws InterruptedException   the plain thread was interrupted before a message arrived
     */
    @SuppressWarnings("unchecked")
    public T receive() throws InterruptedException {
        Suspension node;
        List<ChanHome.Watcher> waiting;
        Object[] out = new Object[1];
        ChanHome.Party woken;
        synchronized (lock) {
            woken = takeLocked(out);
            if (out[0] != null) {
                node = null;
            } else {
                if (closed) throw new ChanClosedException("receive on a closed and drained channel");
                node = new Suspension();
                receivers.add(node);
            }
            waiting = watchersFor(false); // a message left, or a receiver waits: SEND may be ready
        }
        if (woken != null) woken.wake(); // outside the lock, as every wake
        notifyWatchers(waiting);
        if (node == null) return (T) out[0];
        await(node, receivers, "receive on a closed and drained channel");
        return (T) node.item();
    }

    /**
     * Waits until a counterparty (or close) completes {@code node}, which is parked in
     * {@code queue}. A cancel or interrupt that comes first takes it out of the queue and is
     * thrown: the operation did not happen; one that comes after is kept for the next wait.
     *
     * @throws ChanClosedException with {@code closedMessage} when close completed it
     */
    private void await(Suspension node, ArrayDeque<ChanHome.Party> queue, String closedMessage) throws InterruptedException {
        try {
            node.await();
        } catch (InterruptedException | TaskCancelledException e) {
            synchronized (lock) {
                if (node.outcome() == Suspension.PENDING) {
                    queue.remove(node);
                    throw e;
                }
            }
            keepInterrupt(e);
        }
        if (node.outcome() == Suspension.CLOSED) throw new ChanClosedException(closedMessage);
    }

    /**
     * Sends without waiting: succeeds if a receiver is waiting or the buffer has room.
     *
     * @return whether the message was sent
     * @throws ChanClosedException the channel is closed
     */
    public boolean trySend(T message) {
        Objects.requireNonNull(message, "message: channels do not carry null");
        ChanHome.Party toWake;
        List<ChanHome.Watcher> notify;
        synchronized (lock) {
            if (closed) throw new ChanClosedException("send on a closed channel");
            toWake = handToReceiver(message);
            if (toWake == null && !bufferIfRoom(message)) return false;
            notify = watchersFor(true);
        }
        if (toWake != null) toWake.wake();
        notifyWatchers(notify);
        return true;
    }

    /**
     * Receives without waiting.
     *
     * @return the next message, or empty when none is ready now (then {@link #isClosed()} tells
     *         whether one ever will be)
     */
    @SuppressWarnings("unchecked")
    public Optional<T> tryReceive() {
        Object[] out = new Object[1];
        ChanHome.Party woken;
        List<ChanHome.Watcher> notify = null;
        synchronized (lock) {
            woken = takeLocked(out);
            if (out[0] != null) notify = watchersFor(false);
        }
        if (woken != null) woken.wake();
        if (notify != null) notifyWatchers(notify);
        return Optional.ofNullable((T) out[0]);
    }

    /** Takes the next message into out[0]; returns a sender to wake whose message moved in. Under lock. */
    private ChanHome.Party takeLocked(Object[] out) {
        T head = buffer.poll();
        if (head != null) {
            out[0] = head;
            ChanHome.Party s = takeFromSender();
            if (s != null) {
                @SuppressWarnings("unchecked") T m = (T) s.item();
                buffer.add(m);
            }
            return s;
        }
        ChanHome.Party s = takeFromSender();
        if (s != null) out[0] = s.item();
        return s;
    }

    /** Hands {@code message} to the first parked receiver that can still take it; returns it, or null. Under lock. */
    private ChanHome.Party handToReceiver(Object message) {
        for (ChanHome.Party r; (r = receivers.poll()) != null; ) if (r.complete(message)) return r;
        return null;
    }

    /** Buffers {@code message} if the buffer has room; returns whether it did. Under lock. */
    private boolean bufferIfRoom(T message) {
        if (buffer.size() >= capacity) return false;
        buffer.add(message);
        return true;
    }

    /** Takes the first parked sender that can still give its message ({@code item()}); returns it, or null. Under lock. */
    private ChanHome.Party takeFromSender() {
        for (ChanHome.Party s; (s = senders.poll()) != null; ) if (s.complete(null)) return s;
        return null;
    }

    /**
     * Closes the channel: no more sends; receivers drain what was sent. Idempotent.
     */
    public void close() {
        List<ChanHome.Party> toWake = new ArrayList<>();
        List<ChanHome.Watcher> notify;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            for (ChanHome.Party p : receivers) if (p.closed()) toWake.add(p);
            receivers.clear();
            for (ChanHome.Party p : senders) if (p.closed()) toWake.add(p);
            senders.clear();
            notify = new ArrayList<>(watchers);
        }
        for (ChanHome.Party p : toWake) p.wake();
        notifyWatchers(notify);
    }

    /**
     * Receives until the channel is closed and drained. {@code next()} waits like
     * {@link #receive()}; a cancelled task gets {@link TaskCancelledException}, an interrupted
     * thread a {@link CancellationException} with its interrupt status kept.
     */
    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private T next;
            private boolean end;

            @Override
            public boolean hasNext() {
                if (next != null) return true;
                if (end) return false;
                try {
                    next = receive();
                    return true;
                } catch (ChanClosedException closed) {
                    end = true;
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    CancellationException c = new CancellationException("interrupted while iterating over a channel");
                    c.initCause(e);
                    throw c;
                }
            }

            @Override
            public T next() {
                if (!hasNext()) throw new NoSuchElementException("channel closed and drained");
                T n = next;
                next = null;
                return n;
            }
        };
    }

    // ---------------------------------------------------------------- readiness for Event.recv / Event.send

    /** Readiness for one direction; the offers of wait {@code self} (a wait's own) do not count. */
    int readiness(boolean recv, Object self) {
        synchronized (lock) {
            if (recv) {
                if (!buffer.isEmpty() || hasParty(senders, self)) return READY;
                return closed ? READY_CLOSED : NOT_READY;
            }
            if (closed) return READY_CLOSED;
            return hasParty(receivers, self) || buffer.size() < capacity ? READY : NOT_READY;
        }
    }

    /** Whether a party not of wait {@code self} is parked in {@code q}; drops dead offers at its head. Under lock. */
    private static boolean hasParty(ArrayDeque<ChanHome.Party> q, Object self) {
        while (!q.isEmpty() && !q.peekFirst().isLive()) q.pollFirst();
        for (ChanHome.Party p : q) if (p.isLive() && (self == null || p.waitCall() != self)) return true;
        return false;
    }

    /**
     * Adds {@code w} unless the channel is ready already, atomically (a check and an add under two
     * lock holds would lose a send landing between them). Returns the readiness found.
     */
    int watchUnlessReady(ChanHome.Watcher w) {
        synchronized (lock) {
            int state = readiness(w.recv, null); // the wait's own offers are left after its other subscriptions
            if (state == NOT_READY) watchers.add(w);
            return state;
        }
    }

    void removeWatcher(ChanHome.Watcher w) { synchronized (lock) { watchers.remove(w); } }

    // ---------------------------------------------------------------- committing events: Event.receive / Event.send(chan, message)

    /**
     * The committing events of one wait, in list order (Go's {@code selectgo}), under the locks of
     * all their channels, taken in {@link #id} order. Pass 1: the first that can move a message
     * now does ({@code Offer.complete} wins its wait's selection: no other offer of it is in any
     * queue yet, so that cannot fail), and a channel found closed marks its offer closed. Pass 2,
     * only when nothing moved, nothing was closed and {@code leave}: every offer joins its
     * channel's queue of receivers or senders, where the first counterparty to complete one
     * wins. Returns whether the offers were left (the caller withdraws them when the wait ends).
     */
    static boolean commitOrOffer(ChanHome.Offer[] offers, boolean leave) {
        Chan<?>[] chans = new Chan<?>[offers.length];
        int n = 0;
        for (ChanHome.Offer o : offers) { // distinct, by id: an insertion sort, as a wait names few channels
            Chan<?> c = o.chan();
            int at = n;
            while (at > 0 && chans[at - 1].id > c.id) at--;
            if (at > 0 && chans[at - 1] == c) continue;
            System.arraycopy(chans, at, chans, at + 1, n - at);
            chans[at] = c;
            n++;
        }
        if (n < chans.length) chans = java.util.Arrays.copyOf(chans, n);
        List<ChanHome.Party> toWake = new ArrayList<>(1);
        List<ChanHome.Watcher> notify = new ArrayList<>();
        boolean[] left = new boolean[1];
        locked(chans, 0, () -> left[0] = pass(offers, leave, toWake, notify));
        for (ChanHome.Party p : toWake) p.wake();
        notifyWatchers(notify);
        return left[0];
    }

    /** Runs {@code body} holding the locks of {@code chans[k..]}. */
    private static void locked(Chan<?>[] chans, int k, Runnable body) {
        if (k == chans.length) {
            body.run();
            return;
        }
        synchronized (chans[k].lock) { locked(chans, k + 1, body); }
    }

    /** The two passes of {@link #commitOrOffer}, under every lock. */
    private static boolean pass(ChanHome.Offer[] offers, boolean leave, List<ChanHome.Party> toWake, List<ChanHome.Watcher> notify) {
        boolean anyClosed = false;
        for (ChanHome.Offer o : offers) {
            Chan<?> c = o.chan();
            if (o.recv ? c.commitReceive(o, toWake) : c.commitSend(o, toWake)) {
                List<ChanHome.Watcher> w = c.watchersFor(!o.recv); // a message arrived (RECV watchers) or left (SEND watchers)
                if (w != null) notify.addAll(w);
                return false;
            }
            anyClosed |= o.chan().closed;
        }
        if (!leave || anyClosed) return false;
        for (ChanHome.Offer o : offers) {
            Chan<?> c = o.chan();
            (o.recv ? c.receivers : c.senders).add(o);
            List<ChanHome.Watcher> w = c.watchersFor(!o.recv); // a parked receiver makes SEND ready, a parked sender RECV
            if (w != null) notify.addAll(w);
        }
        return true;
    }

    /** Pass 1 for a committing receive: takes a buffered message or a parked sender's; or marks it closed. Under lock. */
    private boolean commitReceive(ChanHome.Offer o, List<ChanHome.Party> toWake) {
        Object[] out = new Object[1];
        ChanHome.Party woken = takeLocked(out);
        if (woken != null) toWake.add(woken);
        if (out[0] != null) return o.complete(out[0]);
        if (closed) o.closed();
        return false;
    }

    /** Pass 1 for a committing send: hands its message to a parked receiver or the buffer; or marks it closed. Under lock. */
    @SuppressWarnings("unchecked")
    private boolean commitSend(ChanHome.Offer o, List<ChanHome.Party> toWake) {
        if (closed) {
            o.closed();
            return false;
        }
        ChanHome.Party r = handToReceiver(o.item());
        if (r == null && !bufferIfRoom((T) o.item())) return false;
        if (r != null) toWake.add(r);
        return o.complete(null);
    }

    /** Takes a committing wait's offer out of its queue, if a counterparty has not already. */
    void withdraw(ChanHome.Offer o) {
        synchronized (lock) { (o.recv ? receivers : senders).remove(o); }
    }

    /** Watchers to tell after a change: RECV watchers after something arrived, SEND watchers after something left. Under lock. */
    private List<ChanHome.Watcher> watchersFor(boolean arrived) {
        if (watchers.isEmpty()) return null;
        List<ChanHome.Watcher> l = new ArrayList<>(watchers.size());
        for (ChanHome.Watcher w : watchers) if (w.recv == arrived) l.add(w);
        return l;
    }

    private static void notifyWatchers(List<ChanHome.Watcher> l) {
        if (l == null) return;
        for (ChanHome.Watcher w : l) w.changed();
    }

    private static void keepInterrupt(Exception e) {
        if (e instanceof InterruptedException) Thread.currentThread().interrupt();
    }

    @Override
    public String toString() {
        String kind = capacity == 0 ? "rendezvous" : capacity == Integer.MAX_VALUE ? "unbounded" : "bounded(" + capacity + ")";
        synchronized (lock) {
            return "Chan[" + kind + ", " + buffer.size() + " buffered" + (closed ? ", closed" : "") + "]";
        }
    }
}
