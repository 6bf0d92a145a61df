package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueueBinding;
import io.kwait.nativeio.kqueue.KqueuePlatform;
/** The kqueue backend on the simulated FreeBSD 12+ kqueue (64-byte kevent, zombies fire with their status). */
class KqueueBackendFreebsdTest extends KqueueBackendTestBase {
    @Override
    KqueueBinding newBinding() { return new SimulatedKqueue(KqueuePlatform.FREEBSD_12); }

    @Override
    String unusableBecause() { return SimulatedKqueueTestBase.notLinux(); }

    @Override
    boolean simulated() { return true; }
}
