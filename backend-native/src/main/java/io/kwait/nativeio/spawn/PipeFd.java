package io.kwait.nativeio.spawn;

import io.kwait.nativeio.Memory;
import io.kwait.nativeio.NioInternals;
import io.kwait.nativeio.binding.SpawnLibC;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;

/**
 * The pipe fd of a {@link PipeSource} or {@link PipeSink}, and what both do with it: read(2) or
 * write(2) with the NIO return conventions (bytes moved, 0 when the pipe is empty/full (EAGAIN),
 * -1 at end of stream), the loop over an array of buffers, the blocking mode, and close. The I/O
 * runs under a lock that close also takes, so it never reaches a closed, possibly reused, number.
 * A direct buffer is passed by address; a heap buffer goes through a per-thread 64 KiB direct
 * buffer (one copy, as the JDK's own channels do).
 */
final class PipeFd {
    private static final int SCRATCH = 64 * 1024;
    private static final ThreadLocal<Memory> SCRATCH_BUFFER = ThreadLocal.withInitial(() -> new Memory(SCRATCH));

    /** One read or write of a whole buffer, as a channel does it. */
    interface BufferIo {
        int apply(ByteBuffer buffer) throws IOException;
    }

    private final int fd;
    private final String what;
    private final Object lock = new Object();

    /** @param what what the pipe is, for messages ("stdout of 1234") */
    PipeFd(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    int fd() {
        return fd;
    }

    /** Reads into {@code dst} for {@code channel}, which must be open. */
    int read(Channel channel, ByteBuffer dst) throws IOException {
        synchronized (lock) {
            if (!channel.isOpen()) throw new ClosedChannelException();
            return transfer(dst, false);
        }
    }

    /** Writes from {@code src} for {@code channel}, which must be open. */
    int write(Channel channel, ByteBuffer src) throws IOException {
        synchronized (lock) {
            if (!channel.isOpen()) throw new ClosedChannelException();
            return transfer(src, true);
        }
    }

    /**
     * The scattering read or gathering write of NIO: {@code io} on each buffer with something
     * left, until one is not done whole; an end of stream before anything moved is -1.
     */
    static long eachBuffer(ByteBuffer[] buffers, int offset, int length, BufferIo io) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, buffers.length);
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            if (!buffers[i].hasRemaining()) continue;
            int n = io.apply(buffers[i]);
            if (n < 0) return total == 0 ? -1 : total;
            total += n;
            if (buffers[i].hasRemaining()) break;
        }
        return total;
    }

    void setBlocking(boolean block) throws IOException {
        setBlocking(fd, block);
    }

    /** fcntl(O_NONBLOCK) on or off, for a pipe fd of ours that has no channel yet. */
    static void setBlocking(int fd, boolean block) throws IOException {
        SpawnLibC c = Posix.libc();
        int fl = c.fcntl(fd, Posix.F_GETFL, 0);
        if (fl < 0) throw new IOException("fcntl(F_GETFL) on fd " + fd + " failed: " + Posix.describe(Posix.errno()));
        int nf = block ? fl & ~Posix.O_NONBLOCK : fl | Posix.O_NONBLOCK;
        if (nf != fl && c.fcntl(fd, Posix.F_SETFL, nf) < 0) {
            throw new IOException("fcntl(F_SETFL) on fd " + fd + " failed: " + Posix.describe(Posix.errno()));
        }
    }

    void close() {
        synchronized (lock) {
            Posix.libc().close(fd);
        }
    }

    /** {@code type[what, fd N]}, or {@code type[what, closed]}. */
    String describe(String type, boolean open) {
        return type + "[" + what + (open ? ", fd " + fd : ", closed") + "]";
    }

    private int transfer(ByteBuffer buffer, boolean write) throws IOException {
        int want = buffer.remaining();
        if (want == 0) return 0;
        SpawnLibC c = Posix.libc();
        while (true) {
            long n = write ? writeOnce(c, buffer, want) : readOnce(c, buffer, want);
            if (n > 0 || (n == 0 && write)) return (int) n;
            if (n == 0) return -1; // read(2) at end of stream
            int err = Posix.errno();
            if (err == Posix.EINTR) continue;
            if (err == Posix.EAGAIN) return 0;
            if (write && err == Posix.EPIPE) {
                throw new IOException("Broken pipe: the child closed its stdin or exited (write to fd " + fd + ")");
            }
            throw new IOException((write ? "write to" : "read from") + " the child's pipe (fd " + fd + ") failed: "
                    + Posix.describe(err));
        }
    }

    private long readOnce(SpawnLibC c, ByteBuffer dst, int want) {
        if (dst.isDirect()) {
            long n = c.read(fd, NioInternals.addressOf(dst) + dst.position(), want);
            if (n > 0) dst.position(dst.position() + (int) n);
            return n;
        }
        Memory scratch = SCRATCH_BUFFER.get();
        long n = c.read(fd, scratch.address, Math.min(want, SCRATCH));
        if (n > 0) dst.put(scratch.bytes.slice(0, (int) n));
        return n;
    }

    private long writeOnce(SpawnLibC c, ByteBuffer src, int want) {
        long n;
        if (src.isDirect()) {
            n = c.write(fd, NioInternals.addressOf(src) + src.position(), want);
        } else {
            Memory scratch = SCRATCH_BUFFER.get();
            int len = Math.min(want, SCRATCH);
            scratch.bytes.put(0, src, src.position(), len);
            n = c.write(fd, scratch.address, len);
        }
        if (n >= 0) src.position(src.position() + (int) n);
        return n;
    }
}
