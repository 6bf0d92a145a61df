/*
 * Facts about kqueue(2) that shape one simulated kqueue (numbered with the others, listed in
 * SimulatedKqueue.java).
 *
 * 1. One simulated kqueue is one Linux epoll instance (its fd is the "kqueue fd"), an eventfd in it
 *    that stands for "something outside epoll became active" (a triggered EVFILT_USER, a process
 *    that exited before it was watched), and the knote table, guarded by a lock. kevent() copies
 *    the change list in from raw memory, decodes it through the simulated OS's KeventLayout,
 *    applies it in order, and encodes the event list back out the same way, so the backend on top
 *    runs exactly the code it runs on a real kernel.
 *
 * 2. Change processing follows FreeBSD's kern_event.c: EV_SYSFLAGS are cleared from every change;
 *    an error, or any change with EV_RECEIPT, writes an EV_ERROR entry (flags = EV_ERROR, data =
 *    errno, the other fields as given) while there is room, and -1 with that errno when there is
 *    none (later changes are then not processed); a call that wrote any such entry returns their
 *    number and does not wait.
 *
 * 6. Waiting: without the lock, in poll(2) on the epoll fd, as a kernel would: Thread.interrupt()
 *    does not end it (a real kevent() ignores it too; the backend turns interrupts into a wakeup),
 *    and a virtual thread holds its carrier meanwhile. Not in a JDK Selector: its select() would
 *    replace the caller's NIO interrupt hook (the JDK keeps one per thread) and so break the
 *    backend's. Timeouts: NULL waits without limit, a zero timespec polls, others wait at most
 *    that long (rounded up to milliseconds).
 */
package io.kwait.kqueue.sim;

import io.kwait.kqueue.sim.FdFilter.FdWatch;
import io.kwait.kqueue.sim.Knote.Key;
import io.kwait.kqueue.sim.ProcFilter.ProcWatch;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.PollTimeouts;
import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.epoll.EpollEventLayout;
import io.kwait.nativeio.epoll.Linux;
import io.kwait.nativeio.kqueue.KeventLayout;
import io.kwait.nativeio.kqueue.KqueueConstants;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One simulated kqueue: its epoll fd and eventfd, the knote table, the kevent() call (the change
 * list applied in order, then the scan, then the wait) and close. The filters keep their own state:
 * {@link FdFilter}, {@link ProcFilter}, {@link UserFilter}.
 */
final class SimulatedQueue {
    final SimulatedKqueue sim;
    final LibC libc;
    final KqueueConstants k;
    final KeventLayout layout;
    final FdFilter fdFilter;
    final ProcFilter procFilter;
    final UserFilter userFilter;
    final int epfd;
    final int wakeFd;
    final ReentrantLock lock = new ReentrantLock();
    final HashMap<Key, Knote> knotes = new HashMap<>();
    final HashMap<Integer, FdWatch> fds = new HashMap<>();
    final HashMap<Long, Object> byTag = new HashMap<>();
    final ArrayDeque<Knote> pending = new ArrayDeque<>();
    final EpollEventLayout epollLayout = EpollEventLayout.current();
    int epollCapacity = 256;
    Memory epollEvents;
    final Memory ctl = new Memory(16);
    final Memory scratch = new Memory(Linux.SIGINFO_SIZE);
    final Memory pollfd = new Memory(8);
    final Memory one = new Memory(8);
    long nextTag = 1; // 0 is the eventfd's
    boolean closed;
    int waiters;

    SimulatedQueue(SimulatedKqueue sim) {
        this.sim = sim;
        this.libc = sim.libc;
        this.k = sim.k;
        this.layout = sim.layout;
        this.fdFilter = new FdFilter(this);
        this.procFilter = new ProcFilter(this);
        this.userFilter = new UserFilter(this);
        int ep = libc.epoll_create1(Linux.EPOLL_CLOEXEC);
        if (ep < 0) throw new SimulatedKqueue.SimFailure(sim.osErrno(LibCRuntime.errno()));
        int efd = libc.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        if (efd < 0) {
            int err = LibCRuntime.errno();
            libc.close(ep);
            throw new SimulatedKqueue.SimFailure(sim.osErrno(err));
        }
        epollEvents = new Memory(epollCapacity * epollLayout.size());
        if (epollCtl(ep, Linux.EPOLL_CTL_ADD, efd, Linux.EPOLLIN, 0L) < 0) {
            int err = LibCRuntime.errno();
            libc.close(efd);
            libc.close(ep);
            throw new SimulatedKqueue.SimFailure(sim.osErrno(err));
        }
        this.epfd = ep;
        this.wakeFd = efd;
        sim.ownFds.add(ep);
        sim.ownFds.add(efd);
        one.bytes.putLong(0, 1L);
    }

    int epollCtl(int ep, int op, int fd, int events, long tag) {
        ctl.bytes.putInt(EpollEventLayout.EVENTS_OFFSET, events);
        ctl.bytes.putLong(epollLayout.dataOffset(), tag);
        return libc.epoll_ctl(ep, op, fd, ctl.address);
    }

    /** Makes a waiter (now or later) look: something outside epoll became active. */
    private void signal() {
        libc.write(wakeFd, one.address, 8);
    }

    // ------------------------------------------------------------ kevent

    /** {@code written[0]} receives the number of kevents put into {@code out}, also when -1 is returned. */
    int kevent(ByteBuffer changes, int nchanges, ByteBuffer out, int nevents, long timeoutNanos, int[] written) {
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        lock.lock();
        try {
            if (closed) return sim.fail(k.errnos().ebadf());
            int room = nevents;
            KqueueConstants.Flags f = k.flags();
            for (int i = 0; i < nchanges; i++) {
                int flags = layout.flags(changes, i) & ~f.sysflags();
                long ident = layout.ident(changes, i);
                int filter = layout.filter(changes, i);
                int err = apply(ident, filter, flags, layout.fflags(changes, i), layout.data(changes, i),
                        layout.udata(changes, i));
                if (err != 0 || (flags & f.receipt()) != 0) {
                    if (room == 0) return err != 0 ? sim.fail(err) : written[0]; // no room: the rest is not processed
                    layout.put(out, written[0]++, ident, filter, f.error(), layout.fflags(changes, i), err,
                            layout.udata(changes, i));
                    room--;
                }
            }
            if (written[0] > 0) return written[0]; // errors and receipts end the call: no scan, no wait
            if (nevents == 0) return 0;
            int n = scan(out, nevents);
            written[0] = n;
            if (n > 0 || timeoutNanos == 0) return n;
            waiters++;
        } finally {
            lock.unlock();
        }
        try {
            while (true) {
                long left = timeoutNanos < 0 ? -1 : deadline - System.nanoTime();
                if (timeoutNanos > 0 && left <= 0) left = 0;
                if (left != 0) waitReady(left);
                lock.lock();
                try {
                    if (closed) return sim.fail(k.errnos().ebadf());
                    int n = scan(out, nevents);
                    written[0] = n;
                    if (n > 0) return n;
                    if (left == 0) return 0;
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            lock.lock();
            try {
                waiters--;
                if (closed && waiters == 0) release();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Fact 6: waits (without the lock) until the epoll fd is readable or {@code nanos} pass. */
    private void waitReady(long nanos) {
        Memory pfd = sim.waitPollfd.get(); // not the queue's: this runs without the lock
        pfd.bytes.putInt(0, epfd);
        pfd.bytes.putShort(4, (short) 1); // POLLIN
        pfd.bytes.putShort(6, (short) 0);
        libc.poll(pfd.address, 1, PollTimeouts.toMillisRoundingUp(nanos)); // EINTR: the caller looks and waits again
    }

    // ------------------------------------------------------------ changes

    /** Applies one change; returns the simulated OS's errno, 0 on success. */
    private int apply(long ident, int filter, int flags, int fflags, long data, long udata) {
        KqueueConstants.Filters fi = k.filters();
        KqueueConstants.Flags f = k.flags();
        boolean onFd = filter == fi.read() || filter == fi.write();
        if (!onFd && filter != fi.proc() && !(fi.userDefined() && filter == fi.user())) {
            return k.errnos().einval(); // not simulated (NOT_MODELED)
        }
        if (onFd) {
            // Fact 7: a number that is one of the simulation's own fds is not open for the simulated process.
            if (ident < 0 || ident > Integer.MAX_VALUE || sim.ownFds.contains((int) ident) || libc.fcntl((int) ident, 1, 0) < 0) {
                if (ident >= 0 && ident <= Integer.MAX_VALUE) fdFilter.purgeFd((int) ident);
                return k.errnos().ebadf();
            }
            fdFilter.purgeIfReused((int) ident);
        }
        Key key = new Key(ident, filter);
        Knote kn = knotes.get(key);
        if ((flags & f.delete()) != 0) {
            if (kn == null) return k.errnos().enoent();
            drop(kn);
            return 0;
        }
        int keep = flags & ~(f.add() | f.delete() | f.enable() | f.disable() | f.receipt());
        if (kn == null) {
            if ((flags & f.add()) == 0) return k.errnos().enoent();
            kn = new Knote(ident, filter);
            kn.flags = keep;
            kn.sfflags = fflags;
            kn.sdata = data;
            kn.udata = udata;
            kn.enabled = (flags & f.disable()) == 0;
            int err;
            if (onFd) err = fdFilter.attachFd(kn);
            else if (filter == fi.proc()) err = procFilter.attachProc(kn);
            else err = userFilter.attachUser(kn, fflags, data);
            if (err != 0) return err;
            knotes.put(key, kn);
            if (kn.active && kn.enabled) activate(kn);
            return 0;
        }
        // An existing knote: EV_ADD again, EV_ENABLE/EV_DISABLE, or a user trigger.
        // kern_event.c updates udata, fflags and data; the flags given at EV_ADD stay.
        kn.udata = udata;
        if (filter == fi.user()) {
            userFilter.touchUser(kn, fflags, data, flags);
        } else if (filter != fi.proc()) {
            kn.sfflags = fflags;
            kn.sdata = data;
        }
        if ((flags & f.enable()) != 0) kn.enabled = true;
        if ((flags & f.disable()) != 0) kn.enabled = false;
        if (onFd) {
            int err = fdFilter.syncFd(kn.fd);
            if (err != 0) return err;
        }
        if (kn.active && kn.enabled) activate(kn);
        return 0;
    }

    /**
     * Queues an active knote and makes the kqueue fd readable, waiter or not: a real kqueue fd
     * polls readable while it has events (kqueue_wakeup), and a caller may sleep in a Selector
     * on it rather than in kevent() (fact 6).
     */
    private void activate(Knote kn) {
        if (!pending.contains(kn)) pending.add(kn);
        signal();
    }

    /** Removes a knote and whatever it holds. */
    void drop(Knote kn) {
        knotes.remove(new Key(kn.ident, kn.filter), kn);
        pending.remove(kn);
        kn.active = false;
        if (kn.fd != null) {
            FdWatch w = kn.fd;
            if (w.read == kn) w.read = null;
            if (w.write == kn) w.write = null;
            fdFilter.syncFd(w);
            if (w.read == null && w.write == null) fds.remove(w.fd, w);
        }
        if (kn.proc != null) {
            ProcWatch w = kn.proc;
            if (w.tag != 0) byTag.remove(w.tag);
            sim.closeOwn(w.pidfd); // removes its epoll item too
            kn.proc = null;
        }
    }

    // ------------------------------------------------------------ scanning

    /** Collects up to {@code max} ready events into {@code out}, without waiting. */
    private int scan(ByteBuffer out, int max) {
        // Fetch what epoll knows: fds (level or edge) and exited processes.
        List<FdWatch> readyFds = new ArrayList<>();
        List<Integer> readyMasks = new ArrayList<>();
        // Room for as many epoll events as the caller has kevents (a kqueue returns up to nevents).
        if (max > epollCapacity) {
            epollCapacity = max;
            epollEvents = new Memory(epollCapacity * epollLayout.size());
        }
        int m;
        do {
            m = libc.epoll_wait(epfd, epollEvents.address, epollCapacity, 0);
        } while (m < 0 && LibCRuntime.errno() == Linux.EINTR);
        for (int i = 0; i < m; i++) {
            int base = i * epollLayout.size();
            int ev = epollEvents.bytes.getInt(base + EpollEventLayout.EVENTS_OFFSET);
            long tag = epollEvents.bytes.getLong(base + epollLayout.dataOffset());
            if (tag == 0L) {
                libc.read(wakeFd, scratch.address, 8); // the eventfd: only says "look at pending"
                continue;
            }
            Object o = byTag.get(tag);
            if (o instanceof FdWatch w) {
                if ((w.mask & FdFilter.EPOLLET) != 0) { // edge-triggered: keep the edge until it is delivered
                    for (Knote kn : fdFilter.readyKnotes(w, ev)) {
                        kn.active = true;
                        kn.edgeEvents |= ev;
                        if (!pending.contains(kn)) pending.add(kn);
                    }
                } else {
                    readyFds.add(w);
                    readyMasks.add(ev);
                }
            } else if (o instanceof ProcWatch w && !w.exited) {
                procFilter.exited(w);
                byTag.remove(w.tag);
                epollCtl(epfd, Linux.EPOLL_CTL_DEL, w.pidfd, 0, 0L); // readable for good: stop hearing it
                w.knote.active = true;
                if (!pending.contains(w.knote)) pending.add(w.knote);
            }
        }
        int n = 0;
        // Pending first (user triggers, exits, edges), in the order they became active. A knote
        // delivered here may go back to the end of the queue (a user event without EV_CLEAR):
        // counting bounds the loop to what was pending when it started.
        for (int left = pending.size(); left > 0 && n < max; left--) {
            Knote kn = pending.poll();
            if (!kn.enabled || !kn.active) continue; // disabled: EV_ENABLE puts it back
            n = deliverPending(kn, out, n);
        }
        for (int i = 0; i < readyFds.size() && n < max; i++) {
            FdWatch w = readyFds.get(i);
            int ev = readyMasks.get(i);
            for (Knote kn : fdFilter.readyKnotes(w, ev)) {
                if (n == max) break; // level-triggered: the rest comes back with the next scan
                n = fdFilter.deliverFd(kn, ev, out, n);
            }
        }
        for (Knote kn : pending) {
            if (kn.enabled && kn.active) { // still pending (no room, or a user event without EV_CLEAR): still readable
                signal();
                break;
            }
        }
        return n;
    }

    private int deliverPending(Knote kn, ByteBuffer out, int n) {
        KqueueConstants.Filters fi = k.filters();
        if (kn.fd != null) {
            kn.active = false;
            int ev = kn.edgeEvents;
            kn.edgeEvents = 0;
            return fdFilter.deliverFd(kn, ev, out, n);
        }
        if (kn.filter == fi.proc()) return procFilter.deliverExit(kn, out, n);
        return userFilter.deliverUser(kn, out, n);
    }

    void afterDelivery(Knote kn) {
        KqueueConstants.Flags f = k.flags();
        if ((kn.flags & f.oneshot()) != 0) {
            drop(kn);
        } else if ((kn.flags & f.dispatch()) != 0) {
            kn.enabled = false;
            if (kn.fd != null) fdFilter.syncFd(kn.fd);
        }
    }

    // ------------------------------------------------------------ processes

    // ------------------------------------------------------------ close

    void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            if (waiters > 0) signal(); // the last waiter releases
            else release();
        } finally {
            lock.unlock();
        }
    }

    private void release() {
        for (Knote kn : new ArrayList<>(knotes.values())) {
            if (kn.proc != null) sim.closeOwn(kn.proc.pidfd);
        }
        knotes.clear();
        fds.clear();
        byTag.clear();
        pending.clear();
        sim.closeOwn(wakeFd);
        sim.closeOwn(epfd);
    }
}
