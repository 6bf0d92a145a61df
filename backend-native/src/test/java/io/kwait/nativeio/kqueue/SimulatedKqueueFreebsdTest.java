package io.kwait.nativeio.kqueue;

/** The simulated kqueue with FreeBSD 12's 64-byte layout, numbers and process semantics. */
class SimulatedKqueueFreebsdTest extends SimulatedKqueueTestBase {
    @Override
    KqueuePlatform platform() { return KqueuePlatform.FREEBSD_12; }
}
