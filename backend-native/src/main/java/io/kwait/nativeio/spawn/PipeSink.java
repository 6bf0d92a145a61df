package io.kwait.nativeio.spawn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
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
    private final int fd;
    private final String what;
    private final Object lock = new Object();

    PipeSink(int fd, String what) throws IOException {
        super(SelectorProvider.provider());
        this.fd = fd;
        this.what = what;
        configureBlocking(false);
    }

    @Override public int fdValue() { return fd; }

    @Override
    public int write(ByteBuffer src) throws IOException {
        synchronized (lock) {
            if (!isOpen()) throw new ClosedChannelException();
            return FdIo.write(fd, src);
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, srcs.length);
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            if (!srcs[i].hasRemaining()) continue;
            int n = write(srcs[i]);
            total += n;
            if (srcs[i].hasRemaining()) break;
        }
        return total;
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
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
        return "PipeSink[" + what + (isOpen() ? ", fd " + fd : ", closed") + "]";
    }
}
