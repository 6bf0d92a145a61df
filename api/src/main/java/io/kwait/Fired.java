package io.kwait;

import io.kwait.core.Access;
import java.util.OptionalInt;

/**
 * One {@link Event} that fired in a {@link Kernel#wait}: the same event object that was passed in
 * (compare by identity), the filter, flags and details. kqueue's {@code struct kevent} as a Java
 * value: {@link #data()} is kevent's {@code data}; the typed accessors say what it means per filter.
 */
public final class Fired {
    private static final int EOF = Access.EOF, ERROR = Access.ERROR;

    private final Event event;
    private final int flags;
    private final long data;
    private final Object result;
    private final Throwable error;
    private final boolean statusKnown;

    Fired(Event event, int flags, long data, Object result, Throwable error, boolean statusKnown) {
        this.event = event;
        this.flags = flags;
        this.data = data;
        this.result = result;
        this.error = error;
        this.statusKnown = statusKnown;
    }

    /** The event, the same object that was passed to {@code wait}. */
    public Event event() { return event; }

    /** The event's filter. */
    public Filter filter() { return event.filter(); }

    /** The event's attachment. */
    public Object attachment() { return event.attachment(); }

    /**
     * End of the resource: the peer hung up (where the backend can tell), or the channel is closed
     * (for RECV: closed and drained, nothing taken; for SEND: closed, and for a committing send
     * also {@link #isError()}: not sent).
     */
    public boolean isEof() { return (flags & EOF) != 0; }

    /**
     * The resource is in error (closed under us, reset, refused by the OS) or the task/stage
     * failed; {@link #error()} holds the cause. Other events of the same wait are unaffected.
     */
    public boolean isError() { return (flags & ERROR) != 0; }

    /**
     * kevent's {@code data}: bytes available (READ, where the backend can tell, else 0), exit
     * status (EXIT, or -1 when unknown), expirations or deliveries (EXPIRE, SIGNAL), else 0.
     */
    public long data() { return data; }

    /**
     * The exit status of an EXIT: {@link Process#exitValue()} (128+signal when killed) for an
     * event built from a {@link Process}; empty for one built from a {@link ProcessHandle} or a
     * pid, on every backend (see {@link Event#exit(Process)}).
     */
    public OptionalInt exitStatus() {
        return statusKnown ? OptionalInt.of((int) data) : OptionalInt.empty();
    }

    /** Expirations (EXPIRE) or deliveries (SIGNAL) since it last fired; 1 for other filters. */
    public long count() {
        return event.filter() == Filter.EXPIRE || event.filter() == Filter.SIGNAL ? data : 1;
    }

    /**
     * The value of a DONE task or stage (null if it failed), or the message a committing receive
     * ({@link Event#receive}) took (null at EOF). Typed for convenience: the cast is unchecked, as
     * with {@code Future.get()} on a raw future.
     */
    @SuppressWarnings("unchecked")
    public <T> T result() { return (T) result; }

    /** The cause when {@link #isError()}: the resource's error, or the task's/stage's exception. */
    public Throwable error() { return error; }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Fired[").append(event);
        if (isEof()) sb.append(" EOF");
        if (isError()) sb.append(" ERROR ").append(error);
        switch (event.filter()) {
            case EXIT -> sb.append(" status=").append(statusKnown ? String.valueOf(data) : "unknown");
            case EXPIRE, SIGNAL -> sb.append(" count=").append(data);
            case DONE -> { if (!isError()) sb.append(" result=").append(result); }
            case RECV -> { if (result != null) sb.append(" result=").append(result); }
            case READ, WRITE -> { if (data != 0) sb.append(" data=").append(data); }
            default -> { }
        }
        return sb.append(']').toString();
    }
}
