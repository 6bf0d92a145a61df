package io.kwait.nativeio.epoll;

import io.kwait.nativeio.Descriptor;
import io.kwait.spi.Interest;

import static io.kwait.nativeio.epoll.Linux.EPOLLIN;
import static io.kwait.nativeio.epoll.Linux.EPOLLOUT;
import static io.kwait.nativeio.epoll.Linux.EPOLLRDHUP;

/** One epoll item: an fd number (a pidfd for a process) and the mask the kernel holds for it. */
final class EpollItem extends Descriptor {
    /** The mask the kernel holds; 0 when there is no item (interest 0, fact 4 in EpollCtl). */
    int events;
    /** The poll that last reported this item (fact 12 in EpollWait). */
    int reportedIn;

    EpollItem(int fd, boolean process) {
        super(fd, -1, process);
    }

    /** The epoll mask for the owners' interest. */
    int mask() {
        return epollMask(interest());
    }

    /** epoll mask for kwait interest (fact 5 in EpollWait: READ also asks for the peer's shutdown). */
    static int epollMask(int interest) {
        int mask = 0;
        if ((interest & Interest.READ) != 0) mask |= EPOLLIN | EPOLLRDHUP;
        if ((interest & Interest.WRITE) != 0) mask |= EPOLLOUT;
        if ((interest & Interest.EXIT) != 0) mask |= EPOLLIN;
        return mask;
    }
}
