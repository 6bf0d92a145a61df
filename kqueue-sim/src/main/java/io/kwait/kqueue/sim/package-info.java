/**
 * A simulated kqueue on Linux (epoll, pidfds, an eventfd) that reads and writes {@code struct
 * kevent} lists as raw memory in the layout of the OS it simulates, and the providers
 * {@code kqueue-sim-macos} and {@code kqueue-sim-freebsd} that run the real
 * {@link io.kwait.nativeio.kqueue.KqueueBackend} on it. For tests only.
 */
package io.kwait.kqueue.sim;
