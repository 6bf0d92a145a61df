package io.kwait.nativeio.spawn;

/**
 * A channel made by kwait around a pipe fd of its own ({@link PipeSource}, {@link PipeSink}): the
 * native backends watch it by this number, as they watch a JDK channel by {@code getFDVal()}.
 */
public interface PipeEnd {
    /** The fd number; valid while the channel is open. */
    int fdValue();
}
