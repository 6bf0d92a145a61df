package io.kwait.nativeio.spawn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.spi.SelectorProvider;

/**
 * The parent's end of a child's stdin pipe: a {@link Pipe.SinkChannel} over a pipe fd kwait
 * created (close-on-exec, non-blocking). A write returns how much the pipe took (0 when full:
 * wait for {@code Event.writable}); after the child closed its stdin or exited it throws
 * "Broken pipe" (the JVM ignores SIGPIPE, so write(2) fails with EPIPE instead of killing it).
 * Closing it gives the child end of file.
 */
final class PipeSink extends Pipe.SinkChannel implements PipeEnd {
    private final PipeFd fd;

    PipeSink(int fd, String what) throws IOException {
        super(SelectorProvider.provider());
        this.fd = new PipeFd(fd, what);
        configureBlocking(false);
    }

    @Override public int fdValue() { return fd.fd(); }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return fd.write(this, src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return PipeFd.eachBuffer(srcs, offset, length, this::write);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    protected void implCloseSelectableChannel() {
        fd.close();
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        fd.setBlocking(block);
    }

    @Override
    public String toString() {
        return fd.describe("PipeSink", isOpen());
    }
}
