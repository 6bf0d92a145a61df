package io.kwait.nativeio.spawn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.spi.SelectorProvider;

/**
 * The parent's end of a child's stdout or stderr pipe: a {@link Pipe.SourceChannel} over a pipe
 * fd kwait created (close-on-exec, non-blocking), watched by the native backends by its fd number
 * ({@link PipeEnd}). It is not a JDK channel, so a JDK {@code Selector} refuses it; wait for it
 * with the kernel that started the child.
 */
final class PipeSource extends Pipe.SourceChannel implements PipeEnd {
    private final PipeFd fd;

    PipeSource(int fd, String what) throws IOException {
        super(SelectorProvider.provider());
        this.fd = new PipeFd(fd, what);
        configureBlocking(false);
    }

    @Override public int fdValue() { return fd.fd(); }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return fd.read(this, dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return PipeFd.eachBuffer(dsts, offset, length, this::read);
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        return read(dsts, 0, dsts.length);
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
        return fd.describe("PipeSource", isOpen());
    }
}
