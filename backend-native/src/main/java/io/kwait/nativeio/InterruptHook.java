package io.kwait.nativeio;

import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.spi.AbstractInterruptibleChannel;

/**
 * Turns {@link Thread#interrupt()} of a thread blocked in a native poll ({@code epoll_wait},
 * {@code kevent}) into a {@link Waker#wake()}: a thread inside a native call does not notice an
 * interrupt. The poll runs between {@link #enter()} and {@link #leave()}, the {@code begin()} and
 * {@code end()} of a java.nio {@link AbstractInterruptibleChannel} whose close hook wakes the
 * poller. The JDK runs that hook from the interrupting thread while the poller is inside, or at
 * once in {@code enter()} if the flag is already set; the flag stays set for the caller. The JDK
 * keeps one such hook per thread, so nothing inside the poll may use another. A hook serves one
 * interrupt (it counts as closed afterwards): when {@link #leave()} says so, the poller makes a
 * new one.
 */
public final class InterruptHook extends AbstractInterruptibleChannel {
    private final Waker waker;

    /** @param waker what an interrupt calls */
    public InterruptHook(Waker waker) {
        this.waker = waker;
    }

    /** Before the blocking call. */
    public void enter() {
        begin();
    }

    /** After it; whether an interrupt used this hook up (the interrupt flag stays set for the caller). */
    public boolean leave() {
        try {
            end(true);
            return !isOpen();
        } catch (AsynchronousCloseException interrupted) { // ClosedByInterruptException
            return true;
        }
    }

    @Override
    protected void implCloseChannel() {
        waker.wake();
    }
}
