/**
 * kwait's native backends: epoll (Linux) and kqueue (macOS/BSD; simulated on Linux for tests)
 * through JNR, found by {@code Kernel.open()} through the {@link io.kwait.spi.BackendProvider} service. Needs the JVM flags
 * {@code --enable-native-access=ALL-UNNAMED} (JNR, JDK 24+) and
 * {@code --add-exports java.base/sun.nio.ch=io.kwait.nativeio} (fd numbers of channels).
 * Exports no API: only the JNR binding, which JNR must see.
 */
module io.kwait.nativeio {
    requires io.kwait;
    requires org.jnrproject.ffi;
    requires jdk.net;
    // JNR generates the implementation of LibC at run time in a class loader of its own, whose
    // (unnamed) module must be able to see the interface: an unqualified export of a package
    // that holds nothing else.
    exports io.kwait.nativeio.binding;
    // The kqueue simulation (a test-only module) implements KqueueBinding on top of epoll, with
    // the same memory, layouts and constants.
    exports io.kwait.nativeio to io.kwait.kqueue.sim;
    exports io.kwait.nativeio.epoll to io.kwait.kqueue.sim;
    exports io.kwait.nativeio.kqueue to io.kwait.kqueue.sim;
    provides io.kwait.spi.BackendProvider with io.kwait.nativeio.epoll.EpollBackendProvider,
            io.kwait.nativeio.kqueue.KqueueBackendProvider;
}
