/**
 * Native children for {@code io.kwait.Child}: {@link io.kwait.nativeio.spawn.PosixSpawner} starts
 * them with {@code posix_spawnp} through JNR (no Java code in a forked child, no JDK internals),
 * their pipes are kwait's own non-blocking, close-on-exec fds wrapped as {@code Pipe} channels
 * that the epoll and kqueue backends watch by number ({@link io.kwait.nativeio.spawn.PipeEnd}),
 * and each child is reaped exactly once with {@code waitpid(pid)}. The facts behind the choices
 * are at the top of {@code PosixSpawner.java}. Internal: not exported (the JNR binding,
 * {@link io.kwait.nativeio.binding.SpawnLibC}, lives in the binding package).
 */
package io.kwait.nativeio.spawn;
