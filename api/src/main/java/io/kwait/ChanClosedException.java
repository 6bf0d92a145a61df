package io.kwait;

/**
 * Thrown by {@link Chan#send} on a closed channel, and by {@link Chan#receive} once a closed
 * channel has been drained.
 */
public final class ChanClosedException extends IllegalStateException {
    ChanClosedException(String message) { super(message); }
}
