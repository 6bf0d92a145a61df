package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueuePlatform;
/** The simulated kqueue with FreeBSD 12's 64-byte layout, numbers and process semantics. */
class SimulatedKqueueFreebsdTest extends SimulatedKqueueTestBase {
    @Override
    KqueuePlatform platform() { return KqueuePlatform.FREEBSD_12; }
}
