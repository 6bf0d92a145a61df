package io.kwait.spi;

import java.nio.channels.SelectableChannel;
import java.util.Objects;

/**
 * One OS object the core asks a {@link Backend} to watch: a JDK channel, a raw file descriptor or a
 * process. The core creates exactly one {@code Source} per object and kernel and keeps it for as
 * long as it watches that object, so a backend may key its own bookkeeping on the instance and
 * park per-source state in {@link #backendState()}.
 *
 * <p>Backends never create sources. The class is abstract so the core can extend it with its own
 * bookkeeping without a map lookup on every readiness.
 */
public abstract class Source {
    /** What kind of OS object a source is. */
    public enum Kind {
        /** A {@link SelectableChannel} in non-blocking mode. */
        CHANNEL,
        /** A raw int file descriptor owned by the caller. */
        FD,
        /** A process, by pid (and its {@link ProcessHandle} where known). */
        PROCESS
    }

    private final Kind kind;
    private final SelectableChannel channel;
    private final int fd;
    private final long pid;
    private Object backendState;
    private int fired;

    /** For a channel source. */
    protected Source(SelectableChannel channel) {
        this.kind = Kind.CHANNEL;
        this.channel = Objects.requireNonNull(channel, "channel");
        this.fd = -1;
        this.pid = -1;
    }

    /** For a raw fd ({@code kind == FD}) or a process ({@code kind == PROCESS}). */
    protected Source(Kind kind, long number) {
        if (kind == Kind.CHANNEL) throw new IllegalArgumentException("use Source(SelectableChannel)");
        this.kind = kind;
        this.channel = null;
        this.fd = kind == Kind.FD ? Math.toIntExact(number) : -1;
        this.pid = kind == Kind.PROCESS ? number : -1;
    }

    /** The kind of object. */
    public final Kind kind() { return kind; }

    /** The channel, for {@link Kind#CHANNEL}; otherwise {@code null}. */
    public final SelectableChannel channel() { return channel; }

    /** The file descriptor, for {@link Kind#FD}; otherwise -1. */
    public final int fd() { return fd; }

    /** The process id, for {@link Kind#PROCESS}; otherwise -1. */
    public final long pid() { return pid; }

    /** State the backend attached to this source (a selection key, a slot index ...), or null. */
    public final Object backendState() { return backendState; }

    /** Attaches backend state; only the backend calls this, from the polling thread. */
    public final void setBackendState(Object state) { this.backendState = state; }

    /**
     * The {@link Interest} bits whose readiness has already woken every waiter that wants it: the
     * core has no use for another report of them until those waiters wait again. A backend
     * should skip such bits before doing any work for them (a byte count, a report), and skip the
     * source when nothing else is ready; reporting them anyway is allowed, only wasted. The core
     * never blocks in {@link Backend#poll} while a source has fired bits (their waiters are
     * runnable), so a level-triggered backend that returns early for one has not spun. Read on
     * the polling thread.
     */
    public final int fired() { return fired; }

    /** Sets the {@linkplain #fired() fired} bits; only the core calls this, from the polling thread. */
    protected final void setFired(int interest) { this.fired = interest; }

    @Override
    public String toString() {
        return switch (kind) {
            case CHANNEL -> "channel " + channel;
            case FD -> "fd " + fd;
            case PROCESS -> "process " + pid;
        };
    }
}
