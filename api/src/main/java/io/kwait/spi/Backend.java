package io.kwait.spi;

import java.io.IOException;
import java.util.Set;

/**
 * The only place kwait touches the OS: a readiness multiplexer. Small on purpose (after the Go
 * netpoller): register interest, poll, wake, close. Backends own no timers, tasks, channels,
 * signals or process relays; the core computes one timeout from its timer heap and passes it to
 * {@link #poll}, and turns every cross-thread event into a {@link #wakeup()}.
 *
 * <h2>Threads</h2>
 * All methods except {@link #wakeup()} are called by one thread at a time, the <em>polling
 * thread</em> (which may change between calls, always with a happens-before edge between them).
 * {@link #wakeup()} may be called from any thread at any time, also concurrently with
 * {@link #poll} and after {@link #close()} (where it does nothing).
 *
 * <h2>Semantics</h2>
 * <ul>
 *   <li>Level-triggered: a source that stays ready is reported by every poll while its interest
 *       includes the ready bit. The core disarms a source (interest 0) when no waiter wants it.</li>
 *   <li>Registrations persist across polls; the core calls {@link #register} only when the wanted
 *       interest of a source changes, so a backend should make a no-change call cheap anyway.</li>
 *   <li>Spurious returns from {@code poll} with nothing reported are allowed.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * {@link #register} throws {@link IllegalArgumentException} for a source this backend cannot
 * serve (wrong kind, blocking channel), with a message naming the way out;
 * {@link IOException} for an OS refusal of a particular source (the core turns it into an ERROR
 * {@code Fired} for that event only). An {@code IOException} from {@link #poll} means the
 * multiplexer itself failed; the core fails the wait with it.
 */
public interface Backend extends AutoCloseable {

    /** The name used with {@code -Dkwait.backend} and {@code Kernel.open(name)}, e.g. {@code "select"}. */
    String name();

    /** What this backend does natively; the core covers the rest with its relays. */
    Set<Capability> capabilities();

    /**
     * Sets the interest for a source, adding it on first use. {@code interest == 0} keeps the
     * source registered but silent. {@link Interest#EXIT} applies to process sources only and is
     * offered only with {@link Capability#PROCESS_EXIT}; a process source reports its exit once.
     *
     * @throws IllegalArgumentException the backend cannot serve this source at all
     * @throws IOException              the OS refused this source (closed fd, no such process ...)
     */
    void register(Source source, int interest) throws IOException;

    /** Forgets a source; no readiness is reported for it afterwards. Unknown sources are ignored. */
    void deregister(Source source);

    /**
     * Waits until at least one registered source is ready, {@link #wakeup()} is called, the
     * timeout passes, or the calling thread is interrupted, and reports every ready source to
     * {@code sink}.
     *
     * @param timeoutNanos {@code < 0}: no limit; {@code 0}: do not block; {@code > 0}: at most
     *                     this long, rounded <em>up</em> to the backend's resolution
     * @return the number of sources reported
     * @throws IOException the multiplexer itself failed
     */
    int poll(long timeoutNanos, ReadySink sink) throws IOException;

    /**
     * Makes the current or the next {@link #poll} return promptly. Thread-safe, cheap when called
     * repeatedly before the poll returns.
     */
    void wakeup();

    /**
     * Starts child processes whose pipes this backend watches, with no thread per child; offered
     * only with {@link Capability#SPAWN}. Unlike the other methods, the spawner may be used from any
     * thread (see {@link Spawner}).
     *
     * @throws UnsupportedOperationException the backend lacks {@link Capability#SPAWN} (the core then
     *                                       starts children through {@link ProcessBuilder})
     */
    default Spawner spawner() {
        throw new UnsupportedOperationException("the " + name() + " backend cannot spawn children itself");
    }

    /** Number of sources currently registered; used by leak checks. */
    int registrationCount();

    /** Releases every OS resource. Idempotent. After close only {@link #wakeup()} may be called. */
    @Override
    void close();
}
