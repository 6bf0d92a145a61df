package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueuePlatform;

/**
 * {@code kqueue-sim-macos}: the kqueue backend on a {@link SimulatedKqueue} with macOS's 32-byte
 * {@code struct kevent}, constants and process semantics (ESRCH for a zombie,
 * {@code NOTE_EXITSTATUS}). For tests on Linux.
 */
public final class KqueueSimMacosProvider extends KqueueSimProvider {
    /** The backend name. */
    public static final String NAME = "kqueue-sim-macos";

    /** Public no-argument constructor, as {@link java.util.ServiceLoader} needs on the class path. */
    public KqueueSimMacosProvider() {
        super(NAME, KqueuePlatform.MACOS);
    }
}
