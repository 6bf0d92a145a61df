package io.kwait.nativeio;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * Blocks the calling thread until a pollable fd (an epoll fd) is readable, through a JDK
 * {@link Selector} that watches that fd.
 *
 * <p>Why not simply call {@code epoll_wait} with a timeout: a thread inside a native call cannot be
 * interrupted ({@link Thread#interrupt()} does not reach it), and a virtual thread inside one pins
 * its carrier for as long as it blocks. A JDK {@code Selector} has neither problem: an interrupt
 * wakes it (leaving the interrupt flag set), and on JDK 22+ a virtual thread blocked in
 * {@code select} unmounts and parks through the JDK's poller. An epoll fd is itself pollable:
 * readable exactly while it has events to report. (So is a kqueue fd, but it refuses the
 * non-blocking mode a {@code Selector} needs; the kqueue backend offloads instead.) So the fd is
 * wrapped with the public {@code jdk.nio.Channels.readWriteSelectableChannel} (module
 * {@code jdk.net}) and registered for {@code OP_READ}; after {@link #await} returns, the caller
 * collects with a non-blocking wait.
 *
 * <p>The bridge never closes the fd; its owner does, after {@link #close()}.
 */
public final class SelectorBridge implements AutoCloseable {
    private static final Consumer<SelectionKey> IGNORE = key -> { };

    /** The wrapper's close hooks do nothing: the fd belongs to the backend. */
    private static final jdk.nio.Channels.SelectableChannelCloser KEEP_FD = new jdk.nio.Channels.SelectableChannelCloser() {
        @Override
        public void implCloseChannel(SelectableChannel sc) { }

        @Override
        public void implReleaseChannel(SelectableChannel sc) { }
    };

    private final SelectableChannel channel;
    private final Selector selector;

    /**
     * Watches {@code fd}, which must stay open until {@link #close()}.
     *
     * @throws IOException the JDK could not open a selector or register the fd
     */
    public SelectorBridge(int fd) throws IOException {
        this.channel = jdk.nio.Channels.readWriteSelectableChannel(NioInternals.fileDescriptorOf(fd), KEEP_FD);
        this.selector = Selector.open();
        try {
            channel.configureBlocking(false); // sets O_NONBLOCK on the fd; epoll_wait and kevent ignore it
            channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            selector.close();
            channel.close();
            throw e;
        }
    }

    /**
     * Returns when the fd is readable, the timeout passed, {@link #wakeup()} was called, or the
     * thread is interrupted (its interrupt flag stays set). Spurious returns are possible.
     *
     * @param timeoutNanos {@code < 0}: no limit; otherwise at most this long, rounded up to whole ms
     */
    public void await(long timeoutNanos) throws IOException {
        if (timeoutNanos < 0) {
            selector.select(IGNORE);
        } else {
            int ms = PollTimeouts.toMillisRoundingUp(timeoutNanos);
            if (ms == 0) selector.selectNow(IGNORE);
            else selector.select(IGNORE, ms);
        }
    }

    /** A non-blocking wait of the poller ({@code epoll_wait} with a zero timeout): the events it collected. */
    @FunctionalInterface
    public interface Collect {
        int now() throws IOException;
    }

    /**
     * A virtual thread's blocking poll: {@code collect} at once; when it found nothing,
     * {@link #await} (the thread unmounts; an interrupt wakes it) and {@code collect} again.
     *
     * @return the events the last collect found (0 after a timeout, wakeup or spurious return)
     */
    public int collectOrAwait(long timeoutNanos, Collect collect) throws IOException {
        int n = collect.now();
        if (n != 0) return n;
        await(timeoutNanos);
        return collect.now();
    }

    /** Makes a current or the next {@link #await} return. Thread-safe. */
    public void wakeup() {
        selector.wakeup();
    }

    /** Closes the selector and the wrapper (not the fd). */
    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
