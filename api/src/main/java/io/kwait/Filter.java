package io.kwait;

/**
 * What condition of a resource an {@link Event} waits for; kqueue's filters plus the two
 * resources kqueue lacks (tasks and channels).
 */
public enum Filter {
    /** An fd is readable: bytes to read, a connection to accept, or end of stream. */
    READ,
    /** An fd is writable, or a non-blocking connect completed. */
    WRITE,
    /** A process exited. */
    EXIT,
    /** A timer expired; {@link Fired#count()} says how many times. */
    EXPIRE,
    /** A signal was delivered; {@link Fired#count()} says how many times since last fired. */
    SIGNAL,
    /** A task or a {@link java.util.concurrent.CompletionStage} completed. */
    DONE,
    /**
     * A channel has a message to receive (a committing receive took it: {@link Fired#result()}),
     * or is closed and drained (then {@link Fired#isEof()}).
     */
    RECV,
    /**
     * A channel can take a message without blocking (a committing send handed its message over),
     * or is closed (then {@link Fired#isEof()}).
     */
    SEND
}
