/**
 * A simulated kqueue on Linux and the backends {@code kqueue-sim-macos} and
 * {@code kqueue-sim-freebsd} that run kwait's real kqueue backend on it: a test fixture, on the
 * class path of kwait's own tests only (the artifact is never installed or deployed), never chosen
 * by {@code Kernel.open()} by itself. It sees of {@code io.kwait.nativeio} what that module
 * exports, plus the kqueue package, exported to this module alone.
 */
module io.kwait.kqueue.sim {
    requires io.kwait;
    requires io.kwait.nativeio;
    // Reads change lists and writes event lists at the addresses the backend passes, as a kernel
    // does: raw memory, which JDK 21 reaches only through JNR (the FFM API is a preview there).
    requires org.jnrproject.ffi;
    provides io.kwait.spi.BackendProvider with io.kwait.kqueue.sim.KqueueSimMacosProvider,
            io.kwait.kqueue.sim.KqueueSimFreebsdProvider;
}
