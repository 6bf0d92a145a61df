package io.kwait.nativeio.spawn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.spi.SelectorProvider;

/**
 * The parent's end of a child's stdout or stderr pipe: a {@link Pipe.SourceChannel} over a pipe
 * fd kwait created (close-on-exec, non-blocking), watched by the native backends by its fd number
 * ({@link PipeEnd}). It is not a JDK channel, so a JDK {@code Selector} refuses it; wait for it
 * with the kernel that started the child.
 */
final class PipeSource extends Pipe.SourceChannel implements PipeEnd {
    private final int fd;
    private final String what;
    private final Object lock = new Object();

    PipeSource(int fd, String what) throws IOException {
        super(SelectorProvider.provider());
        this.fd = fd;
        this.what = what;
        configureBlocking(false);
    }

    @Override public int fdValue() { return fd; }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        synchronized (lock) {
            if (!isOpen()) throw new ClosedChannelException();
            return FdIo.read(fd, dst);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, dsts.length);
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            if (!dsts[i].hasRemaining()) continue;
            int n = read(dsts[i]);
            if (n < 0) return total == 0 ? -1 : total;
            total += n;
            if (dsts[i].hasRemaining()) break;
        }
        return total;
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        return read(dsts, 0, dsts.length);
    }

    @Override
    protected void implCloseSelectableChannel() {
        synchronized (lock) {
            Posix.libc().close(fd);
        }
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        FdIo.setBlocking(fd, block);
    }

    @Override
    public String toString() {
        return "PipeSource[" + what + (isOpen() ? ", fd " + fd : ", closed") + "]";
    }
}
