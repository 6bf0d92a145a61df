/**
 * kwait's portable backend on {@link java.nio.channels.Selector}: serves non-blocking
 * {@link java.nio.channels.SelectableChannel}s anywhere the JDK runs. Found by {@code Kernel.open()}
 * through the {@link io.kwait.spi.BackendProvider} service; exports nothing.
 */
module io.kwait.select {
    requires io.kwait;
    provides io.kwait.spi.BackendProvider with io.kwait.select.SelectBackendProvider;
}
