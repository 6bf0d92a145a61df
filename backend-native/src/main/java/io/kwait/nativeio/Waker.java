package io.kwait.nativeio;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The wakeup of a native backend: makes a blocked poll return, from any thread. One subclass per
 * mechanism (an eventfd, {@code EVFILT_USER}, a pipe), each in its own small file; this class holds
 * what they share.
 *
 * <p>A flag set by CAS makes repeated wakeups before the poll takes one cost a single system call.
 * The poll clears it ({@link #clear()}) only after the mechanism's event is in the kernel's hands or
 * drained, so a wakeup in between finds the flag set and is not lost: its event is still pending, and
 * the core reads its inbox after the poll returns anyway. {@link #signal()} runs under a lock that
 * {@link #close()} also takes, so a late wakeup never writes to a closed, possibly reused, fd number.
 */
public abstract class Waker {
    private final AtomicBoolean pending = new AtomicBoolean();
    private final Object lock = new Object();
    private volatile boolean closed;

    /** Makes the current or the next poll return. Any thread; does nothing after {@link #close()}. */
    public final void wake() {
        if (closed || !pending.compareAndSet(false, true)) return;
        synchronized (lock) {
            if (!closed) signal();
        }
    }

    /** Whether a wakeup was requested since the last {@link #clear()}: a poll must not block then. */
    public final boolean isPending() {
        return pending.get();
    }

    /**
     * Clears the flag (poll thread). {@code getAndSet}, not {@code set}: it orders the clearing after
     * the {@link #wake()} whose flag it clears.
     */
    public final void clear() {
        pending.getAndSet(false);
    }

    /** Poll thread, when the mechanism's event came back: empties what {@link #signal()} left, if anything. */
    public void drain() {
    }

    /** Whether {@code fd} is one of this waker's own fds (which sources may not name). */
    public boolean owns(int fd) {
        return false;
    }

    /** Stops wakeups (later ones do nothing) and releases the mechanism. Idempotent. */
    public final void close() {
        synchronized (lock) {
            if (closed) return;
            closed = true;
        }
        release();
    }

    /** The system call that makes the poll return; called at most once per {@link #clear()}, under the lock. */
    protected abstract void signal();

    /** Releases the fds; called once, after the last {@link #signal()}. */
    protected abstract void release();
}
