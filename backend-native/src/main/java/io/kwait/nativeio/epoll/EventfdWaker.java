package io.kwait.nativeio.epoll;

import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.Waker;

import java.io.IOException;

/**
 * The epoll backend's wakeup (its fact 9): an eventfd ({@code EFD_CLOEXEC | EFD_NONBLOCK}) in the
 * epoll set with data 0, which no descriptor's tag is. A wakeup writes 1; the poll reads it back.
 */
final class EventfdWaker extends Waker {
    /** The data of the eventfd's epoll item. */
    static final long TAG = 0L;

    private final LibC libc;
    private final int fd;
    /** The value 1, written by any thread; never changed. */
    private final Memory one = new Memory(8);
    /** Poll thread only: where the drain reads to. */
    private final Memory drained = new Memory(8);

    /**
     * Opens the eventfd and adds it to {@code epfd}.
     *
     * @throws IOException the OS refused (the message says which call and why)
     */
    EventfdWaker(LibC libc, int epfd, EpollEventLayout layout) throws IOException {
        this.libc = libc;
        int efd = libc.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        if (efd < 0) throw new IOException("eventfd failed: " + LibCRuntime.describe(LibCRuntime.errno()));
        Memory ev = new Memory(layout.size());
        ev.bytes.putInt(EpollEventLayout.EVENTS_OFFSET, Linux.EPOLLIN);
        ev.bytes.putLong(layout.dataOffset(), TAG);
        if (libc.epoll_ctl(epfd, Linux.EPOLL_CTL_ADD, efd, ev.address) < 0) {
            int err = LibCRuntime.errno();
            libc.close(efd);
            throw new IOException("adding the wakeup eventfd to epoll failed: " + LibCRuntime.describe(err));
        }
        this.fd = efd;
        one.bytes.putLong(0, 1L);
    }

    @Override
    protected void signal() {
        libc.write(fd, one.address, 8);
    }

    @Override
    public void drain() {
        libc.read(fd, drained.address, 8); // EAGAIN if already empty: fine
    }

    @Override
    public boolean owns(int fd) {
        return fd == this.fd;
    }

    @Override
    protected void release() {
        libc.close(fd);
    }

    @Override
    public String toString() {
        return "eventfd " + fd;
    }
}
