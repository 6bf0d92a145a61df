package io.kwait.nativeio;

/**
 * Conversions of the core's nanosecond timeouts for OS calls that take milliseconds
 * ({@code epoll_wait}, {@code Selector.select}).
 */
public final class PollTimeouts {
    private PollTimeouts() {}

    /**
     * Milliseconds for a call that takes an {@code int} timeout: {@code < 0} stays -1 (no limit),
     * 0 stays 0 (do not block), anything positive is rounded <em>up</em> (1 ns waits 1 ms, never 0,
     * which would turn a short wait into a busy poll) and clamped to {@link Integer#MAX_VALUE}
     * (~24.8 days; a poll that returns early is allowed to, and the core polls again).
     */
    public static int toMillisRoundingUp(long timeoutNanos) {
        if (timeoutNanos < 0) return -1;
        if (timeoutNanos == 0) return 0;
        long ms = timeoutNanos / 1_000_000L + (timeoutNanos % 1_000_000L == 0 ? 0 : 1);
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    /**
     * What is left of a timeout of {@code timeoutMillis} that started at {@code startNanos}, for
     * retrying a call interrupted by a signal (EINTR): at least 0, and -1 stays -1.
     */
    public static int remainingMillis(int timeoutMillis, long startNanos, long nowNanos) {
        if (timeoutMillis <= 0) return timeoutMillis;
        long left = timeoutMillis * 1_000_000L - (nowNanos - startNanos);
        return left <= 0 ? 0 : toMillisRoundingUp(left);
    }
}
