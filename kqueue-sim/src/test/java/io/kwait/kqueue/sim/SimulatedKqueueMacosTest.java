package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueuePlatform;
/** The simulated kqueue with macOS's layout, numbers and process semantics. */
class SimulatedKqueueMacosTest extends SimulatedKqueueTestBase {
    @Override
    KqueuePlatform platform() { return KqueuePlatform.MACOS; }
}
