/*
 * Facts about EVFILT_READ and EVFILT_WRITE that shape the simulation's fd filters (numbered with
 * the others, listed in SimulatedKqueue.java).
 *
 * 3. EVFILT_READ/EVFILT_WRITE: one epoll item per fd whose mask is the union of its enabled
 *    knotes (READ: EPOLLIN|EPOLLRDHUP, WRITE: EPOLLOUT), level-triggered, or edge-triggered when
 *    every enabled knote of the fd has EV_CLEAR. READ's data is ioctl(FIONREAD); EV_EOF comes from
 *    EPOLLRDHUP/EPOLLHUP/EPOLLERR (READ) and EPOLLHUP/EPOLLERR (WRITE). The item is tagged with a
 *    number used once, so an item that outlives its fd number (its file still open elsewhere)
 *    never reports to a knote of the number's next file. Like kqueue, closing an fd removes its
 *    knotes: epoll drops the item with the file, and a change on a number that is no longer open
 *    answers EBADF and purges the number's knotes.
 */
package io.kwait.kqueue.sim;

import io.kwait.kqueue.sim.Knote.Key;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.epoll.Linux;
import io.kwait.nativeio.kqueue.KqueueConstants;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** EVFILT_READ and EVFILT_WRITE of one simulated kqueue: one epoll item per fd number (fact 3). */
final class FdFilter {
    /** Linux's EPOLLET (1u << 31). */
    static final int EPOLLET = 1 << 31;

    /** The epoll item of one fd number and its (at most two) knotes. */
    static final class FdWatch {
        final int fd;
        long tag;
        /** The mask epoll holds for the number; 0 when there is no item. */
        int mask;
        Knote read, write;

        FdWatch(int fd) {
            this.fd = fd;
        }
    }

    private final SimulatedQueue q;

    FdFilter(SimulatedQueue q) {
        this.q = q;
    }

    int attachFd(Knote kn) {
        int fd = (int) kn.ident;
        FdWatch w = q.fds.get(fd);
        boolean fresh = w == null;
        if (fresh) w = new FdWatch(fd);
        if (kn.filter == q.k.filters().read()) w.read = kn;
        else w.write = kn;
        kn.fd = w;
        int err = syncFd(w);
        if (err != 0) {
            if (kn.filter == q.k.filters().read()) w.read = null;
            else w.write = null;
            if (!fresh) syncFd(w);
            return err;
        }
        if (fresh) q.fds.put(fd, w);
        return 0;
    }

    /** Brings the fd's epoll item in line with its enabled knotes (fact 3). */
    int syncFd(FdWatch w) {
        int clear = q.k.flags().clear();
        int mask = 0;
        int enabled = 0;
        int cleared = 0;
        for (Knote kn : new Knote[] {w.read, w.write}) {
            if (kn == null || !kn.enabled) continue;
            enabled++;
            if ((kn.flags & clear) != 0) cleared++;
            mask |= kn == w.read ? Linux.EPOLLIN | Linux.EPOLLRDHUP : Linux.EPOLLOUT;
        }
        if (cleared != 0 && cleared != enabled) return q.k.errnos().einval(); // NOT_MODELED: mixed EV_CLEAR
        if (cleared != 0) mask |= EPOLLET;
        if (mask == w.mask) return 0;
        if (mask == 0) {
            q.epollCtl(q.epfd, Linux.EPOLL_CTL_DEL, w.fd, 0, 0L); // ENOENT/EBADF: gone with its file already
            q.byTag.remove(w.tag);
            w.mask = 0;
            return 0;
        }
        if (w.mask != 0 && q.epollCtl(q.epfd, Linux.EPOLL_CTL_MOD, w.fd, mask, w.tag) == 0) {
            w.mask = mask;
            return 0;
        }
        // No item yet, or it went with the file the number named before: add one for what it names now.
        q.byTag.remove(w.tag);
        w.tag = q.nextTag++;
        if (q.epollCtl(q.epfd, Linux.EPOLL_CTL_ADD, w.fd, mask, w.tag) < 0) {
            int err = LibCRuntime.errno();
            if (err == Linux.EEXIST && q.epollCtl(q.epfd, Linux.EPOLL_CTL_MOD, w.fd, mask, w.tag) == 0) {
                // an item for this file under the number existed (added through a dup'ed number): retagged
            } else {
                w.mask = 0;
                return q.sim.osErrno(err);
            }
        }
        q.byTag.put(w.tag, w);
        w.mask = mask;
        return 0;
    }

    /**
     * Fact 3: the knotes of a number whose file was closed are gone in kqueue; here they linger
     * until the number is used again. EPOLL_CTL_MOD finds the item only if the number still names
     * the file it was added for (epoll keys items by number and file): ENOENT means that file was
     * closed, and its knotes are purged. (Knotes that are all disabled have no item to check.)
     */
    void purgeIfReused(int fd) {
        FdWatch w = q.fds.get(fd);
        if (w == null || w.mask == 0) return;
        if (q.epollCtl(q.epfd, Linux.EPOLL_CTL_MOD, fd, w.mask, w.tag) < 0 && LibCRuntime.errno() == Linux.ENOENT) {
            purgeFd(fd);
        }
    }

    /** Forgets every knote of an fd number that is no longer open (close removes knotes). */
    void purgeFd(int fd) {
        q.lock.lock();
        try {
            FdWatch w = q.fds.remove(fd);
            if (w == null) return;
            q.byTag.remove(w.tag);
            w.mask = 0;
            for (Knote kn : new Knote[] {w.read, w.write}) {
                if (kn == null) continue;
                q.knotes.remove(new Key(kn.ident, kn.filter), kn);
                q.pending.remove(kn);
            }
            w.read = w.write = null;
        } finally {
            q.lock.unlock();
        }
    }

    List<Knote> readyKnotes(FdWatch w, int ev) {
        List<Knote> list = new ArrayList<>(2);
        if (w.read != null && w.read.enabled
                && (ev & (Linux.EPOLLIN | Linux.EPOLLRDHUP | Linux.EPOLLHUP | Linux.EPOLLERR)) != 0) {
            list.add(w.read);
        }
        if (w.write != null && w.write.enabled && (ev & (Linux.EPOLLOUT | Linux.EPOLLHUP | Linux.EPOLLERR)) != 0) {
            list.add(w.write);
        }
        return list;
    }

    int deliverFd(Knote kn, int ev, ByteBuffer out, int n) {
        KqueueConstants.Flags f = q.k.flags();
        int flags = kn.flags;
        long data = 0;
        if (kn.filter == q.k.filters().read()) {
            if ((ev & (Linux.EPOLLRDHUP | Linux.EPOLLHUP | Linux.EPOLLERR)) != 0) flags |= f.eof();
            if (q.libc.ioctl((int) kn.ident, Linux.FIONREAD, q.scratch.address) == 0) {
                data = Math.max(0, q.scratch.bytes.getInt(0));
            }
        } else if ((ev & (Linux.EPOLLHUP | Linux.EPOLLERR)) != 0) {
            flags |= f.eof();
        }
        q.layout.put(out, n, kn.ident, kn.filter, flags, 0, data, kn.udata);
        q.afterDelivery(kn);
        return n + 1;
    }
}
