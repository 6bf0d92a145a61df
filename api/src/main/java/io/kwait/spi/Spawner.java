package io.kwait.spi;

import java.io.IOException;

/**
 * Starts child processes for {@code io.kwait.Child}: the command, directory, environment and
 * redirects of a {@link ProcessBuilder}, with every {@code PIPE} as a non-blocking pipe whose
 * parent end is a {@link java.nio.channels.SelectableChannel} this backend can watch, and no
 * thread per child or per stream. A backend offers one through {@link Backend#spawner()} together
 * with {@link Capability#SPAWN}; without it the core starts children through
 * {@link ProcessBuilder#start()} and relays their streams with a thread each.
 *
 * <p>Thread-safe: {@code io.kwait.Child.start} may be called from any thread.
 */
public interface Spawner {
    /**
     * Starts one child.
     *
     * @param builder what to start; read, never modified
     * @return the started child
     * @throws IOException the child could not be started (program not found, directory not found,
     *                     permission denied, a redirect file that cannot be opened, an empty command),
     *                     with a message naming the program and the cause; nothing is left behind
     * @throws UnsupportedOperationException something in {@code builder} this spawner cannot do;
     *                     the core then starts the child the portable way
     */
    SpawnedProcess spawn(ProcessBuilder builder) throws IOException;
}
