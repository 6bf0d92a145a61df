/**
 * kwait: one declarative wait over sockets, processes, timers, signals, tasks and channels.
 * {@code io.kwait} is the API; {@code io.kwait.spi} is the backend boundary.
 */
module io.kwait {
    requires jdk.unsupported; // sun.misc.Signal for the signal relay
    exports io.kwait;
    exports io.kwait.spi;
    uses io.kwait.spi.BackendProvider;
}
