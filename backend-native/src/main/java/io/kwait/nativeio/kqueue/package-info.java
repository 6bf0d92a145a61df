/**
 * The kqueue backend for macOS and the BSDs: {@link io.kwait.nativeio.kqueue.KqueueBackend}
 * written against {@link io.kwait.nativeio.kqueue.KqueueBinding}, with {@code struct kevent}
 * layouts and constants kept as data per OS ({@link io.kwait.nativeio.kqueue.KeventLayout},
 * {@link io.kwait.nativeio.kqueue.KqueueConstants}, {@link io.kwait.nativeio.kqueue.KqueuePlatform}).
 */
package io.kwait.nativeio.kqueue;
