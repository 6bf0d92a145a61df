package io.kwait.nativeio.spawn;

import io.kwait.nativeio.binding.SpawnLibC;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.NioInternals;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * read(2) and write(2) on a pipe fd for {@link PipeSource} and {@link PipeSink}, with the NIO
 * return conventions: bytes moved, 0 when the pipe is empty/full (EAGAIN), -1 at end of stream.
 * A direct buffer is passed by address; a heap buffer goes through a per-thread 64 KiB direct
 * buffer (one copy, as the JDK's own channels do).
 */
final class FdIo {
    private FdIo() {}

    private static final int SCRATCH = 64 * 1024;
    private static final ThreadLocal<Memory> SCRATCH_BUFFER = ThreadLocal.withInitial(() -> new Memory(SCRATCH));

    static int read(int fd, ByteBuffer dst) throws IOException {
        int want = dst.remaining();
        if (want == 0) return 0;
        SpawnLibC c = Posix.libc();
        while (true) {
            long n;
            Memory scratch = null;
            if (dst.isDirect()) {
                n = c.read(fd, NioInternals.addressOf(dst) + dst.position(), want);
            } else {
                scratch = SCRATCH_BUFFER.get();
                n = c.read(fd, scratch.address, Math.min(want, SCRATCH));
            }
            if (n > 0) {
                if (scratch != null) dst.put(scratch.bytes.slice(0, (int) n));
                else dst.position(dst.position() + (int) n);
                return (int) n;
            }
            if (n == 0) return -1;
            int err = Posix.errno();
            if (err == Posix.EINTR) continue;
            if (err == Posix.EAGAIN) return 0;
            throw new IOException("read from the child's pipe (fd " + fd + ") failed: " + Posix.describe(err));
        }
    }

    static int write(int fd, ByteBuffer src) throws IOException {
        int want = src.remaining();
        if (want == 0) return 0;
        SpawnLibC c = Posix.libc();
        while (true) {
            long n;
            if (src.isDirect()) {
                n = c.write(fd, NioInternals.addressOf(src) + src.position(), want);
            } else {
                Memory scratch = SCRATCH_BUFFER.get();
                int len = Math.min(want, SCRATCH);
                scratch.bytes.put(0, src, src.position(), len);
                n = c.write(fd, scratch.address, len);
            }
            if (n >= 0) {
                src.position(src.position() + (int) n);
                return (int) n;
            }
            int err = Posix.errno();
            if (err == Posix.EINTR) continue;
            if (err == Posix.EAGAIN) return 0;
            if (err == Posix.EPIPE) {
                throw new IOException("Broken pipe: the child closed its stdin or exited (write to fd " + fd + ")");
            }
            throw new IOException("write to the child's pipe (fd " + fd + ") failed: " + Posix.describe(err));
        }
    }

    static void setBlocking(int fd, boolean block) throws IOException {
        SpawnLibC c = Posix.libc();
        int fl = c.fcntl(fd, Posix.F_GETFL, 0);
        if (fl < 0) throw new IOException("fcntl(F_GETFL) on fd " + fd + " failed: " + Posix.describe(Posix.errno()));
        int nf = block ? fl & ~Posix.O_NONBLOCK : fl | Posix.O_NONBLOCK;
        if (nf != fl && c.fcntl(fd, Posix.F_SETFL, nf) < 0) {
            throw new IOException("fcntl(F_SETFL) on fd " + fd + " failed: " + Posix.describe(Posix.errno()));
        }
    }
}
