/**
 * The Linux epoll backend: {@link io.kwait.nativeio.epoll.EpollBackend} and its
 * {@link io.kwait.spi.BackendProvider}. Chosen by {@code Kernel.open()} on Linux when the JVM runs
 * with {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}; see the provider for what else it needs.
 */
package io.kwait.nativeio.epoll;
