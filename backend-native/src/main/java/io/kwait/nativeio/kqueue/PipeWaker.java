package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.Memory;
import io.kwait.nativeio.Waker;

import java.io.IOException;

/**
 * The kqueue backend's wakeup where {@code EVFILT_USER} is missing or refused (its fact 8): a
 * non-blocking, close-on-exec pipe whose reading end is in the kqueue with udata 0. A wakeup
 * writes one byte (a full pipe means a wakeup is pending anyway); the poll reads them all.
 */
final class PipeWaker extends Waker {
    private final KqueueBinding sys;
    private final int readEnd, writeEnd;
    private final String reason;
    /** The byte written; never changed. */
    private final Memory one = new Memory(1);
    /** Poll thread only: where the drain reads to. */
    private final Memory drained = new Memory(64);

    /**
     * Opens the pipe and adds its reading end to {@code kq}.
     *
     * @param reason why a pipe and not EVFILT_USER, for toString
     * @throws IOException the OS refused the pipe, its flags or the kevent (the message says which)
     */
    PipeWaker(KqueueBinding sys, int kq, String reason) throws IOException {
        this.sys = sys;
        this.reason = reason;
        KqueueConstants k = sys.platform().constants();
        KeventLayout layout = sys.platform().layout();
        int[] fds = new int[2];
        if (sys.pipe(fds) < 0) throw new IOException("pipe() for the wakeup failed: " + describe(sys.errno()));
        try {
            // pipe2 is not on macOS: pipe, then fcntl
            KqueueConstants.Fcntl c = k.fcntl();
            for (int fd : fds) {
                int fl = sys.fcntl(fd, c.getfl(), 0);
                if (fl < 0 || sys.fcntl(fd, c.setfl(), fl | c.oNonblock()) < 0 || sys.fcntl(fd, c.setfd(), c.fdCloexec()) < 0) {
                    throw new IOException("setting up the wakeup pipe failed (fcntl): " + describe(sys.errno()));
                }
            }
            Memory add = new Memory(2 * layout.size());
            layout.put(add.bytes, 0, fds[0], k.filters().read(), k.flags().add() | k.flags().receipt(), 0, 0, 0L);
            Memory zero = new Memory(KeventLayout.TIMESPEC_SIZE);
            int n = sys.kevent(kq, add.address, 1, add.address + layout.size(), 1, zero.address);
            int err = n < 0 ? sys.errno()
                    : n == 1 && (layout.flags(add.bytes, 1) & k.flags().error()) != 0 ? (int) layout.data(add.bytes, 1) : 0;
            if (err != 0) throw new IOException("adding the wakeup pipe to the kqueue failed: " + describe(err));
        } catch (IOException | RuntimeException e) {
            sys.close(fds[0]);
            sys.close(fds[1]);
            throw e;
        }
        this.readEnd = fds[0];
        this.writeEnd = fds[1];
        one.bytes.put(0, (byte) 1);
    }

    private String describe(int errno) {
        return sys.strerror(errno) + " (errno " + errno + ")";
    }

    @Override
    protected void signal() {
        sys.write(writeEnd, one.address, 1); // EAGAIN: full, so a wakeup is pending anyway
    }

    @Override
    public void drain() {
        while (sys.read(readEnd, drained.address, drained.size()) > 0) {
            // empty it: a wakeup is a wakeup, however many bytes it took
        }
    }

    @Override
    public boolean owns(int fd) {
        return fd == readEnd || fd == writeEnd;
    }

    @Override
    protected void release() {
        sys.close(readEnd);
        sys.close(writeEnd);
    }

    @Override
    public String toString() {
        return "pipe (" + reason + ")";
    }
}
