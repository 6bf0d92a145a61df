/**
 * The Linux epoll backend ({@link io.kwait.nativeio.epoll.EpollBackend}, its
 * {@link io.kwait.spi.BackendProvider}, its eventfd waker) and the Linux numbers and struct layout it
 * speaks ({@link io.kwait.nativeio.epoll.Linux}, {@link io.kwait.nativeio.epoll.EpollEventLayout}): every Linux-only
 * line of the module. Chosen by {@code Kernel.open()} on Linux when the JVM runs
 * with {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}; see the provider for what else it needs.
 */
package io.kwait.nativeio.epoll;
