package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueueBinding;
import io.kwait.nativeio.kqueue.KqueuePlatform;
/** The kqueue backend on the simulated macOS kqueue (32-byte kevent, ESRCH for zombies, NOTE_EXITSTATUS). */
class KqueueBackendMacosTest extends KqueueBackendTestBase {
    @Override
    KqueueBinding newBinding() { return new SimulatedKqueue(KqueuePlatform.MACOS); }

    @Override
    String unusableBecause() { return SimulatedKqueueTestBase.notLinux(); }

    @Override
    boolean simulated() { return true; }
}
