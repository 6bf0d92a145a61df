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

/**
 * A channel that carries messages between tasks (and threads): rendezvous, bounded or unbounded.
 * {@link #send} and {@link #receive} suspend only the calling task (a plain thread blocks);
 * {@link #trySend} and {@link #tryReceive} never wait; {@link Event#recv}/{@link Event#send} wait
 * for readiness together with any other event.
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
 * @param <T> the message type
 */
public final class Chan<T> implements Iterable<T> {
    private static final int NOT_READY = ChanHome.NOT_READY, READY = ChanHome.READY, READY_CLOSED = ChanHome.READY_CLOSED;

    private final Object lock = new Object();
    private final int capacity;
    private final ArrayDeque<T> buffer = new ArrayDeque<>();
    private final ArrayDeque<Suspension> receivers = new ArrayDeque<>();
    private final ArrayDeque<Suspension> senders = new ArrayDeque<>();
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
        Suspension node;
        Suspension toWake = null;
        List<ChanHome.Watcher> notify;
        synchronized (lock) {
            if (closed) throw new ChanClosedException("send on a closed channel");
            Suspension r = receivers.poll();
            if (r != null) {
                r.item(message);
                r.outcome(Suspension.COMPLETED);
                toWake = r;
                node = null;
            } else if (buffer.size() < capacity) {
                buffer.add(message);
                node = null;
            } else {
                node = new Suspension();
                node.item(message);
                senders.add(node);
            }
            notify = watchersFor(true); // a buffered message or a waiting sender makes RECV ready
        }
        if (toWake != null) toWake.wake();
        notifyWatchers(notify);
        if (node == null) return;
        try {
            node.await();
        } catch (InterruptedException | TaskCancelledException e) {
            synchronized (lock) {
                if (node.outcome() == Suspension.PENDING) {
                    senders.remove(node);
                    throw e;
                }
            }
            keepInterrupt(e);
        }
        if (node.outcome() == Suspension.CLOSED) throw new ChanClosedException("channel closed before the message was received");
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
        synchronized (lock) {
            Object[] out = new Object[1];
            Suspension woken = takeLocked(out);
            if (out[0] != null) {
                List<ChanHome.Watcher> notify = watchersFor(false);
                if (woken != null) woken.wake();
                notifyWatchers(notify);
                return (T) out[0];
            }
            if (closed) throw new ChanClosedException("receive on a closed and drained channel");
            node = new Suspension();
            receivers.add(node);
            waiting = watchersFor(false); // a waiting receiver makes SEND ready on a rendezvous channel
        }
        notifyWatchers(waiting);
        try {
            node.await();
        } catch (InterruptedException | TaskCancelledException e) {
            synchronized (lock) {
                if (node.outcome() == Suspension.PENDING) {
                    receivers.remove(node);
                    throw e;
                }
            }
            keepInterrupt(e);
        }
        if (node.outcome() == Suspension.CLOSED) throw new ChanClosedException("receive on a closed and drained channel");
        return (T) node.item();
    }

    /**
     * Sends without waiting: succeeds if a receiver is waiting or the buffer has room.
     *
     * @return whether the message was sent
     * @throws ChanClosedException the channel is closed
     */
    public boolean trySend(T message) {
        Objects.requireNonNull(message, "message: channels do not carry null");
        Suspension toWake = null;
        List<ChanHome.Watcher> notify;
        synchronized (lock) {
            if (closed) throw new ChanClosedException("send on a closed channel");
            Suspension r = receivers.poll();
            if (r != null) {
                r.item(message);
                r.outcome(Suspension.COMPLETED);
                toWake = r;
            } else if (buffer.size() < capacity) {
                buffer.add(message);
            } else {
                return false;
            }
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
        Suspension woken;
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
    private Suspension takeLocked(Object[] out) {
        T head = buffer.poll();
        if (head != null) {
            out[0] = head;
            Suspension s = senders.poll();
            if (s != null) {
                @SuppressWarnings("unchecked") T m = (T) s.item();
                buffer.add(m);
                s.outcome(Suspension.COMPLETED);
                return s;
            }
            return null;
        }
        Suspension s = senders.poll();
        if (s != null) {
            out[0] = s.item();
            s.outcome(Suspension.COMPLETED);
            return s;
        }
        return null;
    }

    /**
     * Closes the channel: no more sends; receivers drain what was sent. Idempotent.
     */
    public void close() {
        List<Suspension> toWake = new ArrayList<>();
        List<ChanHome.Watcher> notify;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            for (Suspension n : receivers) { n.outcome(Suspension.CLOSED); toWake.add(n); }
            receivers.clear();
            for (Suspension n : senders) { n.outcome(Suspension.CLOSED); toWake.add(n); }
            senders.clear();
            notify = new ArrayList<>(watchers);
        }
        for (Suspension n : toWake) n.wake();
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

    int readiness(boolean recv) {
        synchronized (lock) {
            if (recv) {
                if (!buffer.isEmpty() || !senders.isEmpty()) return READY;
                return closed ? READY_CLOSED : NOT_READY;
            }
            if (closed) return READY_CLOSED;
            return !receivers.isEmpty() || buffer.size() < capacity ? READY : NOT_READY;
        }
    }

    /**
     * Adds {@code w} unless the channel is ready already, atomically (a check and an add under two
     * lock holds would lose a send landing between them). Returns the readiness found.
     */
    int watchUnlessReady(ChanHome.Watcher w) {
        synchronized (lock) {
            int state = readiness(w.recv);
            if (state == NOT_READY) watchers.add(w);
            return state;
        }
    }

    void removeWatcher(ChanHome.Watcher w) { synchronized (lock) { watchers.remove(w); } }

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
