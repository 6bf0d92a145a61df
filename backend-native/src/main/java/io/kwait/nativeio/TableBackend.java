package io.kwait.nativeio;

import io.kwait.nativeio.spawn.PosixSpawner;
import io.kwait.spi.Backend;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;
import io.kwait.spi.Spawner;

import java.io.IOException;
import java.util.Objects;

/**
 * What the native backends share above their {@link DescriptorTable}: the {@link Backend} methods
 * that are bookkeeping only (deregistration, the registration count, wakeup, close, the spawner)
 * and the checks every registration and every poll start with. Each backend adds its system calls:
 * the poll itself, how an owner is forgotten in the kernel, and what close releases.
 *
 * @param <D> the backend's descriptor type
 */
public abstract class TableBackend<D extends Descriptor> implements Backend {
    /** The backend's descriptors, owners and pending exits (polling thread). */
    protected final DescriptorTable<D> table;
    private Waker waker;
    private volatile boolean closed;

    /** @param name the backend's name, for messages */
    protected TableBackend(String name) {
        this.table = new DescriptorTable<>(name);
    }

    /** Sets the backend's wakeup, once, in its constructor (before the backend is shared). */
    protected final void useWaker(Waker waker) {
        if (this.waker != null) throw new IllegalStateException("the waker is set already");
        this.waker = Objects.requireNonNull(waker, "waker");
    }

    /** The backend's wakeup. */
    protected final Waker waker() {
        return waker;
    }

    /** Drops every trace of an owner, and its kernel state when it was its descriptor's last owner. */
    protected abstract void forget(Owner owner);

    /** {@link #poll} once its arguments are checked and the backend is open. */
    protected abstract int pollOpen(long timeoutNanos, ReadySink sink) throws IOException;

    /** Releases the kernel objects; called once by {@link #close()}, after the waker is closed and before nothing else. */
    protected abstract void release();

    /**
     * The checks a registration starts with (a source, an open backend, a valid interest), then the
     * owner the source holds here already, or null.
     *
     * @throws IllegalStateException the backend is closed, or the source carries another backend's state
     */
    protected final Owner checkRegistration(Source source, int interest) {
        Objects.requireNonNull(source, "source");
        ensureOpen();
        SourceChecks.checkInterest(source, interest);
        return table.ownerOf(source);
    }

    /** The descriptor for {@code fd}, after forgetting its owners whose channel is closed (table fact 3), or null. */
    protected final D liveAtFd(int fd) {
        D d = table.atFd(fd);
        if (d == null) return null;
        table.forgetClosedChannels(d, this::forget); // forgetting the last owner removes the descriptor
        return table.atFd(fd);
    }

    @Override
    public final int poll(long timeoutNanos, ReadySink sink) throws IOException {
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        return pollOpen(timeoutNanos, sink);
    }

    @Override
    public final void deregister(Source source) {
        if (source == null || closed) return;
        Owner owner = table.ownerOrNull(source);
        if (owner != null) forget(owner);
    }

    @Override
    public final void wakeup() {
        waker.wake();
    }

    @Override
    public final int registrationCount() {
        return closed ? 0 : table.count(this::forget); // table fact 3: closed channels are not held
    }

    @Override
    public final void close() {
        if (closed) return;
        closed = true;
        waker.close();
        release();
    }

    /** Whether {@link #close()} was called. */
    protected final boolean isClosed() {
        return closed;
    }

    /** @throws IllegalStateException the backend is closed */
    protected final void ensureOpen() {
        if (closed) throw new IllegalStateException("the " + name() + " backend is closed");
    }

    /** Children by posix_spawn, their pipes watched by this backend like any fd (io.kwait.nativeio.spawn). */
    @Override
    public Spawner spawner() {
        PosixSpawner s = PosixSpawner.instanceOrNull();
        if (s == null) throw new UnsupportedOperationException("no native spawn here: " + PosixSpawner.reason());
        return s;
    }
}
