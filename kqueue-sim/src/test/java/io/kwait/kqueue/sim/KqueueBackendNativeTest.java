package io.kwait.kqueue.sim;

import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.NioInternals;
import io.kwait.nativeio.kqueue.KqueueBinding;
import io.kwait.nativeio.kqueue.KqueuePlatform;
import io.kwait.nativeio.kqueue.LibCKqueueBinding;

/**
 * The kqueue backend on this machine's real kqueue: runs on macOS, FreeBSD and OpenBSD (with the
 * build's JVM flags), skipped elsewhere with the reason (on Linux: {@link KqueuePlatform#detect()}'s).
 */
class KqueueBackendNativeTest extends KqueueBackendTestBase {
    @Override
    KqueueBinding newBinding() { return new LibCKqueueBinding(KqueuePlatform.detect().platform()); }

    @Override
    String unusableBecause() {
        KqueuePlatform.Detection d = KqueuePlatform.detect();
        if (!d.supported()) return d.problem();
        if (LibCRuntime.reason() != null) return LibCRuntime.reason();
        return NioInternals.reason();
    }

    @Override
    boolean simulated() { return false; }
}
