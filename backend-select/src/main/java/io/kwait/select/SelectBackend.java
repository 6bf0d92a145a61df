/*
 * Facts about NIO Selector that shape this file (JDK 11+; the same holds on JDK 21-25):
 *
 * 1. OP_CONNECT and OP_WRITE both map to POLLOUT in the OS, but the JDK reports OP_WRITE only for a
 *    *connected* SocketChannel and OP_CONNECT only for a *connection-pending* one. Arming the wrong
 *    one makes the OS say "ready" on every select while NIO reports nothing: a silent busy loop. So
 *    kwait's WRITE maps to OP_CONNECT while a connect is pending and to OP_WRITE otherwise, and
 *    because finishConnect()/connect() change that state behind our back, the keys whose mapping
 *    can still change (SocketChannels with WRITE interest that are not yet connected) are kept in
 *    a small set and re-mapped before every select. The set is empty in steady state, so the check
 *    costs nothing then.
 *
 * 2. Cancelling a key (deregister, or closing its channel, which cancels all its keys) is lazy:
 *    the channel stays registered with the OS until the next selection operation, and a closed
 *    channel's file descriptor is closed only then. Two consequences:
 *    - registering the same channel again before that selection throws CancelledKeyException, so
 *      register() flushes with selectNow() when it meets a cancelled key of the channel;
 *    - closing a channel does not wake a blocked select, and a cancelled key is never selected. We
 *      learn about a close only from the key set shrinking after a selection; our own registry then
 *      tells which sources went away, and they are reported once with ReadyFlags.ERROR and forgotten.
 *      To report a channel closed *between* polls at once, a blocking poll first does a
 *      non-blocking selectNow() pass (which also flushes cancelled keys) and blocks only when
 *      nothing came of it. That costs one extra syscall, only on the path that is about to sleep.
 *
 * 3. selectNow() and select() consume a pending Selector.wakeup(). Because this class also selects
 *    internally (the flush in register, the non-blocking pass in poll), a wakeup could be eaten by
 *    one of those. A flag set by wakeup() and cleared only when poll returns keeps it: poll does not
 *    block while the flag is up.
 *
 * 4. select(Consumer, timeout) avoids the selected-key set, but the consumer runs inside the
 *    selector's lock, where a nested selection (our register flush) throws IllegalStateException.
 *    So the consumer only records (key, ready ops) into reusable arrays, and the ReadySink is called
 *    after select returns, free to register and deregister. On macOS's KQueueSelectorImpl the
 *    consumer can be called twice for one key (read filter, write filter), hence the merge by slot.
 *
 * 5. What NIO cannot tell: end of stream (a peer's shutdown shows up only as "readable"; read()
 *    then returns -1), socket errors (POLLERR/POLLHUP show up as "every interested op is ready"),
 *    or byte counts. The user's read(), write() or finishConnect() finds those out. So capabilities() is empty: no EOF_FLAG, no
 *    BYTES_AVAILABLE, no RAW_FD (NIO selects only SelectableChannels), no PROCESS_EXIT.
 *
 * 6. One selection reports at most what the JDK's own buffer holds (1,024 keys on Linux's epoll
 *    selector, 256 on macOS's kqueue one), while the contract is a report for every fired event.
 *    A selection that reported at least the smallest of those caps is followed by selectNow()
 *    passes for as long as each brings keys not seen yet in this poll (the JDK's epoll and kqueue
 *    hand level-triggered events out round-robin; the merge by slot of fact 4 drops repeats).
 */
package io.kwait.select;

import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The portable kwait backend: a {@link Selector} from {@link Selector#open()}, so it runs wherever
 * the JDK runs. It serves {@link Source.Kind#CHANNEL} sources only (non-blocking
 * {@link SelectableChannel}s) and has no {@linkplain Capability capabilities}: process exit,
 * signals and timers come from the core's relays, and readiness reports carry neither an EOF flag
 * nor a byte count, because NIO does not expose them.
 *
 * <p>Mapping of interest: {@link Interest#READ} is {@code OP_ACCEPT} on a
 * {@link ServerSocketChannel} and {@code OP_READ} elsewhere; {@link Interest#WRITE} is
 * {@code OP_CONNECT} on a {@link SocketChannel} whose connect is pending and {@code OP_WRITE}
 * elsewhere, re-mapped automatically when the connect completes. A channel closed while registered
 * is reported once, by the next poll that returns, with {@link ReadyFlags#ERROR} and a
 * {@link ClosedChannelException}, and is forgotten.
 *
 * <p>Threading follows {@link Backend}: one polling thread at a time; {@link #wakeup()} from any
 * thread, also after {@link #close()}.
 */
public final class SelectBackend implements Backend {

    /** Backend name used with {@code -Dkwait.backend} and {@code Kernel.open(name)}. */
    public static final String NAME = "select";

    private static final int NIO_READ = SelectionKey.OP_READ | SelectionKey.OP_ACCEPT;
    private static final int NIO_WRITE = SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT;

    /** None: see fact 5 at the top of this file. */
    private static final Set<Capability> CAPABILITIES =
            Collections.unmodifiableSet(EnumSet.noneOf(Capability.class));

    /** Marks a recorded key whose readyOps() threw: its channel was closed during the select. */
    private static final int CANCELLED = -1;

    private final Selector selector;

    /** Keys this backend registered and has not yet forgotten; compared with selector.keys(). */
    private final Set<SelectionKey> registered = new HashSet<>();

    /** Keys of SocketChannels with WRITE interest that are not connected yet (fact 1). */
    private final Set<SelectionKey> connectWatch = new HashSet<>();

    /** Set by wakeup(), cleared when poll returns (fact 3). */
    private final AtomicBoolean wakeupPending = new AtomicBoolean();

    private volatile boolean closed;

    // What the select consumer recorded in the current poll (fact 4); reused across polls.
    private SelectionKey[] readyKeys = new SelectionKey[16];
    private int[] readyOps = new int[16];
    private int readyCount;
    private final Consumer<SelectionKey> recorder = this::record;
    /** The smallest number of keys one JDK selection may be capped at (fact 6). */
    private static final int JDK_BATCH = 256;

    /**
     * Opens a select backend on a new {@link Selector}.
     *
     * @throws IOException the JDK could not open a selector
     */
    public SelectBackend() throws IOException {
        this.selector = Selector.open();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public void register(Source source, int interest) throws IOException {
        Objects.requireNonNull(source, "source");
        ensureOpen();
        switch (source.kind()) {
            case CHANNEL -> { }
            case FD -> throw new IllegalArgumentException(
                    "the select backend cannot watch raw file descriptors (fd " + source.fd()
                    + "): NIO selects only SelectableChannels; use the epoll or kqueue backend"
                    + " (-Dkwait.backend=epoll / Kernel.open(\"epoll\")) or wrap the fd in a channel");
            case PROCESS -> throw new IllegalArgumentException(
                    "the select backend cannot watch process " + source.pid() + " itself: it lacks"
                    + " Capability.PROCESS_EXIT, so process exit is served by the core's relay"
                    + " (ProcessHandle.onExit) on this backend; do not register process sources here");
        }
        if ((interest & ~(Interest.READ | Interest.WRITE)) != 0) {
            throw new IllegalArgumentException("interest " + Interest.toString(interest)
                    + " does not fit " + source + ": a channel can be watched for READ and WRITE only"
                    + " (EXIT applies to process sources)");
        }
        SelectableChannel channel = source.channel();
        Object state = source.backendState();

        if (state != null) {
            if (!(state instanceof SelectionKey key) || key.selector() != selector) {
                throw new IllegalStateException(source + " carries state of another backend ("
                        + state + "); the core must use one Source per object and kernel");
            }
            Registration reg = (Registration) key.attachment();
            if (!key.isValid() || !channel.isOpen()) {
                // Closed while registered: the caller learns it from this exception, so forget the
                // source now rather than reporting the same close again from the next poll.
                forget(key, reg);
                throw new ClosedChannelException();
            }
            int ops = toOps(channel, interest);
            try {
                if (key.interestOps() != ops) key.interestOps(ops);
            } catch (CancelledKeyException e) {
                forget(key, reg); // closed by another thread between the check and the update
                throw closedChannel(e);
            }
            reg.interest = interest;
            updateConnectWatch(key, reg);
            return;
        }

        if (!channel.isOpen()) throw new ClosedChannelException();
        if (channel.isBlocking()) {
            throw new IllegalArgumentException(describe(channel) + " " + channel
                    + " is in blocking mode and cannot be selected; call configureBlocking(false)"
                    + " before waiting on it");
        }
        int ops = toOps(channel, interest);
        SelectionKey existing = channel.keyFor(selector);
        if (existing != null) {
            if (existing.isValid()) {
                throw new IllegalStateException(describe(channel) + " " + channel
                        + " is already registered with this backend through another Source;"
                        + " the core must use one Source per channel and kernel");
            }
            // Fact 2: the old key (from deregister) is cancelled but not yet flushed, and
            // register would throw CancelledKeyException. A selection flushes it; readiness it
            // sees is level-triggered and comes back on the next poll, and wakeupPending keeps
            // any wakeup this consumes.
            selector.selectNow(ignored -> { });
        }
        Registration reg = new Registration(source, interest);
        SelectionKey key;
        try {
            key = channel.register(selector, ops, reg);
        } catch (IllegalSelectorException e) {
            throw new IllegalArgumentException(describe(channel) + " " + channel
                    + " was created by a different SelectorProvider than the default one, so a"
                    + " default Selector cannot watch it; create it with the default provider", e);
        } catch (CancelledKeyException e) {
            throw closedChannel(e); // closed by another thread after the flush
        } catch (IllegalBlockingModeException e) {
            throw new IllegalArgumentException(describe(channel) + " " + channel
                    + " was switched to blocking mode while being registered; call"
                    + " configureBlocking(false) before waiting on it", e);
        }
        registered.add(key);
        source.setBackendState(key);
        updateConnectWatch(key, reg);
    }

    @Override
    public void deregister(Source source) {
        if (source == null || closed) return;
        if (!(source.backendState() instanceof SelectionKey key) || key.selector() != selector) return;
        forget(key, (Registration) key.attachment());
        key.cancel();
    }

    @Override
    public int poll(long timeoutNanos, ReadySink sink) throws IOException {
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        try {
            if (!connectWatch.isEmpty()) remapConnectKeys();
            readyCount = 0;
            // Also the first half of a blocking poll (fact 2): sources already ready, and
            // channels closed since the last poll, are reported without sleeping.
            int n = selector.selectNow(recorder);
            recordClosedKeys();
            if (timeoutNanos != 0 && readyCount == 0 && !wakeupPending.get()) {
                if (timeoutNanos < 0) {
                    n = selector.select(recorder);
                } else {
                    n = selector.select(recorder, toMillis(timeoutNanos));
                }
                recordClosedKeys();
            }
            while (n >= JDK_BATCH) { // fact 6: the JDK's buffer may have been full
                int before = readyCount;
                n = selector.selectNow(recorder);
                recordClosedKeys();
                if (readyCount == before) break;
            }
            return report(sink);
        } finally {
            // getAndSet, not set: reading the flag orders this poll after any wakeup() whose flag
            // it clears, so the core sees what that caller published before waking us. A wakeup
            // that sets the flag after this point keeps the next poll from blocking.
            wakeupPending.getAndSet(false);
        }
    }

    @Override
    public void wakeup() {
        if (closed) return;
        wakeupPending.set(true);
        // Safe even if close() runs concurrently: wakeup on a closed JDK selector does nothing.
        selector.wakeup();
    }

    @Override
    public int registrationCount() {
        if (closed) return 0;
        int n = 0;
        for (SelectionKey key : registered) {
            if (key.isValid()) n++;
        }
        return n;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (SelectionKey key : registered) {
            Registration reg = (Registration) key.attachment();
            if (reg.source.backendState() == key) reg.source.setBackendState(null);
        }
        registered.clear();
        connectWatch.clear();
        try {
            selector.close(); // deregisters every key, closing channels whose close was deferred
        } catch (IOException e) {
            throw new UncheckedIOException("closing the select backend's Selector failed", e);
        }
    }

    @Override
    public String toString() {
        return "SelectBackend[" + (closed ? "closed" : registered.size() + " registered") + "]";
    }

    /**
     * Milliseconds for {@code Selector.select(long)}, rounded up so a positive timeout never
     * becomes 0, which NIO reads as "no limit".
     */
    static long toMillis(long timeoutNanos) {
        long ms = timeoutNanos / 1_000_000L;
        return timeoutNanos % 1_000_000L == 0 ? ms : ms + 1;
    }

    // ---- interest mapping ---------------------------------------------------------------------

    /** NIO interest ops for kwait interest on this channel, in its current connection state. */
    private static int toOps(SelectableChannel channel, int interest) {
        int ops = 0;
        if ((interest & Interest.READ) != 0) {
            ops |= channel instanceof ServerSocketChannel ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        }
        if ((interest & Interest.WRITE) != 0) {
            ops |= channel instanceof SocketChannel sc && sc.isConnectionPending()
                    ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
        }
        int unsupported = ops & ~channel.validOps();
        if (unsupported != 0) {
            throw new IllegalArgumentException("a " + describe(channel) + " cannot be watched for "
                    + ((unsupported & NIO_READ) != 0 ? "READ" : "WRITE") + " (NIO " + opNames(unsupported)
                    + " is not among its valid ops " + opNames(channel.validOps()) + "); watch "
                    + kwaitNames(channel.validOps()) + " instead, or use the channel's other end");
        }
        return ops;
    }

    /**
     * Keeps {@code key} in {@link #connectWatch} exactly while its NIO ops may have to change
     * with the connection state: a SocketChannel with WRITE interest that is not connected yet.
     */
    private void updateConnectWatch(SelectionKey key, Registration reg) {
        boolean watch = key.channel() instanceof SocketChannel sc
                && (reg.interest & Interest.WRITE) != 0 && !sc.isConnected();
        if (watch) connectWatch.add(key);
        else connectWatch.remove(key);
    }

    /** Fact 1: switches OP_CONNECT/OP_WRITE of watched keys to match the connection state now. */
    private void remapConnectKeys() {
        for (Iterator<SelectionKey> it = connectWatch.iterator(); it.hasNext(); ) {
            SelectionKey key = it.next();
            SocketChannel channel = (SocketChannel) key.channel();
            Registration reg = (Registration) key.attachment();
            try {
                int ops = toOps(channel, reg.interest);
                if (key.interestOps() != ops) key.interestOps(ops);
            } catch (CancelledKeyException e) {
                it.remove(); // closed: recordClosedKeys reports it after the selection
                continue;
            }
            if (channel.isConnected()) it.remove(); // settled: OP_WRITE from now on
        }
    }

    // ---- readiness ----------------------------------------------------------------------------

    /** The select consumer: records a selected key, merging repeated calls for one key. */
    private void record(SelectionKey key) {
        int ops;
        try {
            ops = key.readyOps();
        } catch (CancelledKeyException e) {
            ops = CANCELLED;
        }
        add(key, ops);
    }

    private void add(SelectionKey key, int ops) {
        Registration reg = (Registration) key.attachment();
        int slot = reg.slot;
        if (slot >= 0 && slot < readyCount && readyKeys[slot] == key) {
            readyOps[slot] = (ops == CANCELLED || readyOps[slot] == CANCELLED) ? CANCELLED : readyOps[slot] | ops;
            return;
        }
        if (readyCount == readyKeys.length) {
            readyKeys = Arrays.copyOf(readyKeys, readyCount * 2);
            readyOps = Arrays.copyOf(readyOps, readyCount * 2);
        }
        reg.slot = readyCount;
        readyKeys[readyCount] = key;
        readyOps[readyCount] = ops;
        readyCount++;
    }

    /**
     * Fact 2: after a selection, the key set lacks exactly the keys cancelled and flushed since the
     * last one. Keys we did not forget ourselves among them were cancelled by a channel close.
     * Only then is the registry scanned, so the common case costs one size comparison.
     */
    private void recordClosedKeys() {
        if (selector.keys().size() >= registered.size()) return;
        for (SelectionKey key : registered) {
            if (!key.isValid()) add(key, CANCELLED);
        }
    }

    /** Reports what the selections recorded; the sink may register and deregister meanwhile. */
    private int report(ReadySink sink) {
        int reported = 0;
        int n = readyCount;
        try {
            for (int i = 0; i < n; i++) {
                SelectionKey key = readyKeys[i];
                int ops = readyOps[i];
                readyKeys[i] = null;
                Registration reg = (Registration) key.attachment();
                reg.slot = -1;
                Source source = reg.source;
                if (source.backendState() != key) continue; // deregistered, maybe re-registered since
                if (ops == CANCELLED || !key.isValid()) {
                    forget(key, reg);
                    reported++;
                    sink.ready(source, Interest.READ | Interest.WRITE, ReadyFlags.ERROR, 0,
                            new ClosedChannelException());
                    continue;
                }
                int ready = 0;
                if ((ops & NIO_READ) != 0) ready |= Interest.READ;
                if ((ops & NIO_WRITE) != 0) ready |= Interest.WRITE;
                ready &= reg.interest & ~source.fired(); // narrowed since the select; fired bits wait for their waiters
                if (ready == 0) continue;
                reported++;
                sink.ready(source, ready, 0, 0, null);
            }
        } finally {
            // If the sink threw, the rest is dropped (level-triggered: it comes back next poll),
            // but no stale slot may survive into the next poll's merge.
            for (int i = 0; i < n; i++) {
                SelectionKey key = readyKeys[i];
                if (key != null) {
                    ((Registration) key.attachment()).slot = -1;
                    readyKeys[i] = null;
                }
            }
            readyCount = 0;
        }
        return reported;
    }

    // ---- bookkeeping --------------------------------------------------------------------------

    /** Drops every trace of a registration; the caller cancels the key if it is still valid. */
    private void forget(SelectionKey key, Registration reg) {
        registered.remove(key);
        connectWatch.remove(key);
        if (reg.source.backendState() == key) reg.source.setBackendState(null);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("the select backend is closed");
    }

    private static ClosedChannelException closedChannel(Throwable cause) {
        ClosedChannelException e = new ClosedChannelException();
        e.initCause(cause);
        return e;
    }

    /** The public NIO type of a channel, for messages (the runtime class is a sun.nio.ch one). */
    private static String describe(SelectableChannel channel) {
        if (channel instanceof ServerSocketChannel) return "ServerSocketChannel";
        if (channel instanceof SocketChannel) return "SocketChannel";
        if (channel instanceof DatagramChannel) return "DatagramChannel";
        if (channel instanceof Pipe.SinkChannel) return "Pipe.SinkChannel";
        if (channel instanceof Pipe.SourceChannel) return "Pipe.SourceChannel";
        return channel.getClass().getName();
    }

    private static String opNames(int ops) {
        List<String> names = new ArrayList<>(4);
        if ((ops & SelectionKey.OP_READ) != 0) names.add("OP_READ");
        if ((ops & SelectionKey.OP_WRITE) != 0) names.add("OP_WRITE");
        if ((ops & SelectionKey.OP_CONNECT) != 0) names.add("OP_CONNECT");
        if ((ops & SelectionKey.OP_ACCEPT) != 0) names.add("OP_ACCEPT");
        return names.isEmpty() ? "none" : String.join("|", names);
    }

    private static String kwaitNames(int validOps) {
        int interest = 0;
        if ((validOps & NIO_READ) != 0) interest |= Interest.READ;
        if ((validOps & NIO_WRITE) != 0) interest |= Interest.WRITE;
        return Interest.toString(interest);
    }

    /** Attachment of every key: the source, its kwait interest, and its slot in the current poll. */
    private static final class Registration {
        final Source source;
        int interest;
        int slot = -1;

        Registration(Source source, int interest) {
            this.source = source;
            this.interest = interest;
        }
    }
}
