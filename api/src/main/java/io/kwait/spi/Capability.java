package io.kwait.spi;

/**
 * What a backend does natively. The core offers every resource on every backend; where a backend
 * lacks a capability the core uses its own portable relay instead (see {@code docs/design.md}, the capability table).
 * Conformance tests are gated by these, never by the backend's class.
 */
public enum Capability {
    /** {@link Source.Kind#FD}: raw int file descriptors can be registered. */
    RAW_FD,
    /** {@link Source.Kind#PROCESS}: the backend observes process exit itself, with no thread per process. */
    PROCESS_EXIT,
    /** Readiness reports carry the byte count available in {@code data} (kqueue, FIONREAD). */
    BYTES_AVAILABLE,
    /** Readiness reports set {@link ReadyFlags#EOF} when the peer hung up. */
    EOF_FLAG,
    /**
     * {@link Backend#spawner()} starts children whose pipes are non-blocking channels this backend
     * watches, with no thread per child or per stream ({@code posix_spawn}).
     */
    SPAWN
}
