package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueuePlatform;

/** The kqueue backend on the simulated macOS kqueue (32-byte kevent, ESRCH for zombies, NOTE_EXITSTATUS). */
class KqueueBackendMacosTest extends KqueueBackendTestBase.OnSimulation {
    @Override
    KqueuePlatform simulating() { return KqueuePlatform.MACOS; }
}
