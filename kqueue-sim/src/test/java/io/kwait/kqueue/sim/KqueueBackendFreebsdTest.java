package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueuePlatform;

/** The kqueue backend on the simulated FreeBSD 12+ kqueue (64-byte kevent, zombies fire with their status). */
class KqueueBackendFreebsdTest extends KqueueBackendTestBase.OnSimulation {
    @Override
    KqueuePlatform simulating() { return KqueuePlatform.FREEBSD_12; }
}
