package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueuePlatform;

/**
 * {@code kqueue-sim-freebsd}: the kqueue backend on a {@link SimulatedKqueue} with FreeBSD 12+'s
 * 64-byte {@code struct kevent}, constants and process semantics (a zombie fires at once, the wait
 * status with every {@code NOTE_EXIT}). For tests on Linux.
 */
public final class KqueueSimFreebsdProvider extends KqueueSimProvider {
    /** The backend name. */
    public static final String NAME = "kqueue-sim-freebsd";

    /** Public no-argument constructor, as {@link java.util.ServiceLoader} needs on the class path. */
    public KqueueSimFreebsdProvider() {
        super(NAME, KqueuePlatform.FREEBSD_12);
    }
}
