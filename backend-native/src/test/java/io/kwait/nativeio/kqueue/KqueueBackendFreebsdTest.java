package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.kqueue.sim.SimulatedKqueue;

/** The kqueue backend on the simulated FreeBSD 12+ kqueue (64-byte kevent, zombies fire with their status). */
class KqueueBackendFreebsdTest extends KqueueBackendTestBase {
    @Override
    KqueueBinding newBinding() { return new SimulatedKqueue(KqueuePlatform.FREEBSD_12); }

    @Override
    String unusableBecause() { return SimulatedKqueueTestBase.notLinux(); }

    @Override
    boolean simulated() { return true; }
}
