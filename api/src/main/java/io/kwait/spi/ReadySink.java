package io.kwait.spi;

/**
 * Receives readiness from {@link Backend#poll}. Called on the polling thread, during {@code poll},
 * once per ready source and poll (a backend merges what it learns about one source in one call),
 * except that READ and WRITE may come in two calls when their flags or data differ: each
 * {@code Fired} carries its own filter's data and flags.
 */
@FunctionalInterface
public interface ReadySink {
    /**
     * Reports that {@code source} is ready.
     *
     * @param source the source, as registered
     * @param ready  {@link Interest} bits that are ready now; may include bits not asked for only
     *               when {@code flags} has {@link ReadyFlags#ERROR} or {@link ReadyFlags#EOF}
     * @param flags  {@link ReadyFlags#EOF}, {@link ReadyFlags#ERROR}, {@link ReadyFlags#EXIT_STATUS}
     * @param data   bytes available (with {@link Capability#BYTES_AVAILABLE}), the exit status
     *               (with {@link ReadyFlags#EXIT_STATUS}), otherwise 0
     * @param error  the cause when {@code flags} has {@link ReadyFlags#ERROR}, else null
     */
    void ready(Source source, int ready, int flags, long data, Throwable error);
}
