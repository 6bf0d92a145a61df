/*
 * How the simulation maps kqueue(2) onto Linux, and where it cannot follow (the exact list is in
 * NOT_MODELED below and in the README text of the backend table).
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
 * 3. EVFILT_READ/EVFILT_WRITE: one epoll item per fd whose mask is the union of its enabled
 *    knotes (READ: EPOLLIN|EPOLLRDHUP, WRITE: EPOLLOUT), level-triggered, or edge-triggered when
 *    every enabled knote of the fd has EV_CLEAR. READ's data is ioctl(FIONREAD); EV_EOF comes from
 *    EPOLLRDHUP/EPOLLHUP/EPOLLERR (READ) and EPOLLHUP/EPOLLERR (WRITE). The item is tagged with a
 *    number used once, so an item that outlives its fd number (its file still open elsewhere)
 *    never reports to a knote of the number's next file. Like kqueue, closing an fd removes its
 *    knotes: epoll drops the item with the file, and a change on a number that is no longer open
 *    answers EBADF and purges the number's knotes.
 *
 * 4. EVFILT_PROC with NOTE_EXIT: pidfd_open (Linux 5.3), watched for readability in the epoll set;
 *    nothing is ever reaped. At registration a process that exited already is a zombie (its pidfd
 *    is readable at once): macOS and OpenBSD semantics answer ESRCH, FreeBSD semantics attach and
 *    fire at once; a pid with no process answers ESRCH everywhere. The wait status comes from
 *    waitid(P_PIDFD, WEXITED|WNOHANG|WNOWAIT) (children not yet reaped) or from the exit_code field
 *    of /proc/PID/stat while the process is a zombie (checked against its start time). macOS
 *    semantics grant NOTE_EXITSTATUS to the parent only (EACCES otherwise).
 *
 * 5. EVFILT_USER: NOTE_TRIGGER, NOTE_FFNOP/FFAND/FFOR/FFCOPY on the stored 24 bits, data stored;
 *    EV_CLEAR resets it on delivery (FreeBSD filt_usertouch). A trigger from another thread writes
 *    the eventfd, which makes a blocked kevent() return and the kqueue fd readable; so does every
 *    knote that becomes pending outside epoll, and a scan that leaves one pending, since a real
 *    kqueue fd polls readable while it has events (a JDK Selector may watch it: KeventWait).
 *
 * 6. Waiting: without the lock, in poll(2) on the epoll fd, as a kernel would: Thread.interrupt()
 *    does not end it (a real kevent() ignores it too; the backend turns interrupts into a wakeup),
 *    and a virtual thread holds its carrier meanwhile. Not in a JDK Selector: its select() would
 *    replace the caller's NIO interrupt hook (the JDK keeps one per thread) and so break the
 *    backend's. Timeouts: NULL waits without limit, a zero timespec polls, others wait at most
 *    that long (rounded up to milliseconds).
 *
 * 7. The simulation's own fds (each queue's epoll fd and eventfd, each pidfd) sit in the process's
 *    fd table, where a real kqueue keeps nothing: for the simulated process those numbers are not
 *    open. A change that names one answers EBADF, as that free number would on a kqueue, and never
 *    reaches epoll_ctl: there, epoll would find the pidfd's own item under the number (items are
 *    keyed by number and file), retag it for the fd knote (EEXIST, then EPOLL_CTL_MOD) and remove it
 *    with the knote, and the process's exit would never be reported. A backend sends such a change
 *    when one queued for a channel's number rides along with a kevent() after the channel was closed
 *    and a pidfd took the number.
 */
package io.kwait.kqueue.sim;

import io.kwait.nativeio.epoll.EpollEventLayout;
import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.epoll.Linux;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.PollTimeouts;
import io.kwait.nativeio.kqueue.KeventLayout;
import io.kwait.nativeio.kqueue.KqueueBinding;
import io.kwait.nativeio.kqueue.KqueueConstants;
import io.kwait.nativeio.kqueue.KqueuePlatform;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A kqueue for tests, on Linux: a {@link KqueueBinding} that follows kqueue(2) for the filters
 * kwait uses ({@code EVFILT_READ}, {@code EVFILT_WRITE}, {@code EVFILT_PROC} with
 * {@code NOTE_EXIT}, {@code EVFILT_USER}) and the flags {@code EV_ADD}, {@code EV_DELETE},
 * {@code EV_ENABLE}, {@code EV_DISABLE}, {@code EV_CLEAR}, {@code EV_ONESHOT},
 * {@code EV_DISPATCH}, {@code EV_RECEIPT}, {@code EV_ERROR} and {@code EV_EOF}, on top of epoll,
 * pidfds and an eventfd. It reads change lists and writes event lists as raw memory in the
 * {@link KqueuePlatform}'s layout and numbers, so {@link io.kwait.nativeio.kqueue.KqueueBackend}
 * runs on it unchanged. Process semantics follow the platform: macOS (a zombie answers ESRCH,
 * {@code NOTE_EXITSTATUS}) or FreeBSD (a zombie fires at once with its status).
 *
 * <p>Not a kernel: {@link #NOT_MODELED} lists what it leaves out. Never chosen by
 * {@code Kernel.open()}: the providers {@code kqueue-sim-macos} and {@code kqueue-sim-freebsd}
 * have a negative priority, and this module is on the class path of kwait's own tests only.
 *
 * <p>Thread-safe: every method may be called from any thread; a {@code kevent} that waits holds no
 * lock, so another thread's trigger reaches it.
 */
public final class SimulatedKqueue implements KqueueBinding {

    /** What the simulation does not do, one item a line, as the README states it. */
    public static final List<String> NOT_MODELED = List.of(
            "filters other than EVFILT_READ, EVFILT_WRITE, EVFILT_PROC and EVFILT_USER (EVFILT_SIGNAL, EVFILT_TIMER,"
                    + " EVFILT_VNODE, EVFILT_AIO, EVFILT_EXCEPT ... answer EINVAL)",
            "EVFILT_PROC notes other than NOTE_EXIT (and macOS NOTE_EXITSTATUS): NOTE_FORK, NOTE_EXEC, NOTE_TRACK,"
                    + " NOTE_SIGNAL answer EINVAL",
            "the wait status of a process that was reaped before the simulation looked (a JDK child is reaped by the"
                    + " JDK at once; a non-child by its parent): the exit is then delivered without NOTE_EXIT/"
                    + "NOTE_EXITSTATUS in fflags, where FreeBSD would always set NOTE_EXIT and the status",
            "macOS NOTE_EXITSTATUS for a process we may signal but did not start (granted to the parent only, as"
                    + " older xnu did)",
            "EVFILT_WRITE's data (free space in the send buffer): always 0",
            "EVFILT_READ's data on a listening socket (the accept backlog): 0",
            "socket errors in fflags with EV_EOF (reading SO_ERROR would clear the error): fflags is 0",
            "EV_CLEAR on an fd whose other enabled knote lacks it (one epoll item per fd): EINVAL",
            "the removal of a closed fd's knotes is lazy: they never fire, and they go when the number is next named"
                    + " in a change; a closed fd whose knotes were all disabled keeps them until then, so EV_ENABLE on"
                    + " its reused number finds them (kqueue: ENOENT)",
            "EVFILT_READ on regular files (kqueue: offset to end of file; epoll refuses them): EPERM",
            "EINTR: a simulated kevent() never fails with it; and timeouts are rounded up to whole milliseconds",
            "kqueue fds shared across fork, and the kqueue fd itself in another kqueue, select or poll (it is an"
                    + " epoll fd: pollable, but not by kevent)",
            "a kqueue fd's refusal of O_NONBLOCK (FreeBSD and xnu answer ENOTTY): the simulated one, an epoll fd,"
                    + " accepts it, so a JDK Selector watches it and a virtual thread's blocking wait unmounts there; on a"
                    + " real kqueue it waits in pinned 20 ms kevent() slices",
            "kevent64, kevent_qos, EV_UDATA_SPECIFIC, EV_VANISHED, EV_FORCEONESHOT, EV_KEEPUDATA, NOTE_LOWAT");

    private final KqueuePlatform platform;
    private final KeventLayout layout;
    private final KqueueConstants k;
    /** FreeBSD attaches to zombies and fires at once; macOS and OpenBSD answer ESRCH. */
    private final boolean zombiesFire;
    private final LibC libc;
    private final jnr.ffi.Runtime runtime;
    private final Map<Integer, Queue> queues = new ConcurrentHashMap<>();
    /**
     * The fds the simulation itself holds (every queue's epoll fd and eventfd, every pidfd): no
     * fds of the simulated process, whose kernel keeps such things out of its fd table (fact 7).
     */
    private final java.util.Set<Integer> ownFds = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<int[]> errno = ThreadLocal.withInitial(() -> new int[1]);
    private final int[] linuxToOs;
    private final int[] osToLinux;

    /**
     * A simulation of {@code platform}'s kqueue. Needs Linux with JNR and the JDK internals the
     * native backends need; the providers check that first.
     *
     * @throws IllegalStateException JNR could not load the C library
     */
    public SimulatedKqueue(KqueuePlatform platform) {
        this.platform = Objects.requireNonNull(platform, "platform");
        this.layout = platform.layout();
        this.k = platform.constants();
        this.zombiesFire = k == KqueueConstants.FREEBSD;
        this.libc = LibCRuntime.libc();
        this.runtime = jnr.ffi.Runtime.getSystemRuntime();
        KqueueConstants.Errnos e = k.errnos();
        // Linux numbers (asm-generic) and the simulated OS's, name by name; anything else becomes EIO.
        int[][] pairs = {
            {Linux.EPERM, e.eperm()}, {Linux.ENOENT, e.enoent()}, {Linux.ESRCH, e.esrch()}, {Linux.EINTR, e.eintr()},
            {5, e.eio()}, {Linux.EBADF, e.ebadf()}, {Linux.ENOMEM, e.enomem()}, {13, e.eacces()}, {14, e.efault()},
            {Linux.EINVAL, e.einval()}, {Linux.EMFILE, e.emfile()}, {32, e.epipe()}, {Linux.EAGAIN, e.eagain()},
            {95, e.enotsup()}, {Linux.ENOSYS, e.enosys()}, {104, e.econnreset()}, {111, e.econnrefused()}};
        linuxToOs = new int[256];
        osToLinux = new int[256];
        java.util.Arrays.fill(linuxToOs, e.eio());
        java.util.Arrays.fill(osToLinux, 5);
        for (int[] p : pairs) {
            linuxToOs[p[0]] = p[1];
            osToLinux[p[1]] = p[0];
        }
    }

    @Override
    public KqueuePlatform platform() {
        return platform;
    }

    @Override
    public String describe() {
        return "simulated kqueue (" + platform.name() + " semantics, " + layout.size() + "-byte struct kevent) on Linux";
    }

    // ================================================================ errno

    private int fail(int osErrno) {
        errno.get()[0] = osErrno;
        return -1;
    }

    private int failLinux() {
        return fail(osErrno(LibCRuntime.errno()));
    }

    private int osErrno(int linux) {
        return linux >= 0 && linux < linuxToOs.length ? linuxToOs[linux] : k.errnos().eio();
    }

    @Override
    public int errno() {
        return errno.get()[0];
    }

    @Override
    public String strerror(int osErrno) {
        int linux = osErrno >= 0 && osErrno < osToLinux.length ? osToLinux[osErrno] : 5;
        String s = libc.strerror(linux);
        return s == null ? "error" : s;
    }

    // ================================================================ plain system calls

    @Override
    public int close(int fd) {
        Queue q = queues.remove(fd);
        if (q != null) {
            q.close();
            return 0;
        }
        if (ownFds.contains(fd)) return fail(k.errnos().ebadf()); // fact 7: not the simulated process's fd
        if (libc.close(fd) < 0) return failLinux();
        for (Queue other : queues.values()) other.purgeFd(fd); // closing an fd removes its knotes
        return 0;
    }

    @Override
    public int pipe(int[] fds) {
        return libc.pipe(fds) < 0 ? failLinux() : 0;
    }

    @Override
    public int fcntl(int fd, int cmd, int arg) {
        KqueueConstants.Fcntl c = k.fcntl();
        // F_GETFD/F_SETFD/F_GETFL/F_SETFL and FD_CLOEXEC have the same numbers on Linux; O_NONBLOCK does not.
        if (cmd == c.getfd() || cmd == c.setfd()) {
            int r = libc.fcntl(fd, cmd == c.getfd() ? 1 : 2, arg == c.fdCloexec() ? 1 : arg);
            return r < 0 ? failLinux() : r;
        }
        if (cmd == c.getfl()) {
            int r = libc.fcntl(fd, 3, 0);
            if (r < 0) return failLinux();
            return (r & 3) | ((r & Linux.O_NONBLOCK) != 0 ? c.oNonblock() : 0);
        }
        if (cmd == c.setfl()) {
            int linux = (arg & 3) | ((arg & c.oNonblock()) != 0 ? Linux.O_NONBLOCK : 0);
            return libc.fcntl(fd, 4, linux) < 0 ? failLinux() : 0;
        }
        return fail(k.errnos().einval()); // other commands are not simulated
    }

    @Override
    public long read(int fd, long buf, long count) {
        long r = libc.read(fd, buf, count);
        return r < 0 ? failLinux() : r;
    }

    @Override
    public long write(int fd, long buf, long count) {
        long r = libc.write(fd, buf, count);
        return r < 0 ? failLinux() : r;
    }

    // ================================================================ kqueue, kevent

    @Override
    public int kqueue() {
        try {
            Queue q = new Queue();
            queues.put(q.epfd, q);
            return q.epfd;
        } catch (SimFailure f) {
            return fail(f.osErrno);
        }
    }

    @Override
    public int kevent(int kq, long changelist, int nchanges, long eventlist, int nevents, long timeout) {
        Queue q = queues.get(kq);
        if (q == null) return fail(k.errnos().ebadf());
        if (nchanges < 0 || nevents < 0) return fail(k.errnos().einval());
        if ((nchanges > 0 && changelist == 0) || (nevents > 0 && eventlist == 0)) return fail(k.errnos().efault());
        long timeoutNanos = -1;
        if (timeout != 0) {
            ByteBuffer ts = copyIn(timeout, KeventLayout.TIMESPEC_SIZE);
            long sec = ts.getLong(KeventLayout.TIMESPEC_SEC_OFFSET);
            long nsec = ts.getLong(KeventLayout.TIMESPEC_NSEC_OFFSET);
            if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) return fail(k.errnos().einval());
            timeoutNanos = sec > Long.MAX_VALUE / 1_000_000_000L - 1 ? Long.MAX_VALUE : sec * 1_000_000_000L + nsec;
        }
        ByteBuffer changes = nchanges == 0 ? null : copyIn(changelist, nchanges * layout.size());
        ByteBuffer out = outBuffer(nevents);
        int[] written = new int[1];
        int result = q.kevent(changes, nchanges, out, nevents, timeoutNanos, written);
        if (written[0] > 0) copyOut(eventlist, out, written[0] * layout.size());
        return result;
    }

    /** A heap buffer for {@code nevents} kevents, reused per thread. */
    private ByteBuffer outBuffer(int nevents) {
        int bytes = Math.max(1, nevents) * layout.size();
        ByteBuffer b = outBuffers.get();
        if (b == null || b.capacity() < bytes) {
            b = ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder());
            outBuffers.set(b);
        }
        return b;
    }

    private final ThreadLocal<ByteBuffer> outBuffers = new ThreadLocal<>();
    private final ThreadLocal<Memory> waitPollfd = ThreadLocal.withInitial(() -> new Memory(8));

    private ByteBuffer copyIn(long address, int bytes) {
        byte[] a = new byte[bytes];
        jnr.ffi.Pointer.wrap(runtime, address).get(0, a, 0, bytes);
        return ByteBuffer.wrap(a).order(ByteOrder.nativeOrder());
    }

    private void copyOut(long address, ByteBuffer from, int bytes) {
        jnr.ffi.Pointer.wrap(runtime, address).put(0, from.array(), 0, bytes);
    }

    /** A failure inside the simulation, as the simulated OS's errno. */
    private static final class SimFailure extends RuntimeException {
        final int osErrno;

        SimFailure(int osErrno) {
            super(null, null, false, false);
            this.osErrno = osErrno;
        }
    }

    // ================================================================ one simulated kqueue

    /** (ident, filter): what a knote is keyed by in one kqueue. */
    private record Key(long ident, int filter) {}

    /** One registered event. */
    private static final class Knote {
        final long ident;
        final int filter;
        /** Flags as registered, without the action bits (kern_event.c keeps them that way). */
        int flags;
        int sfflags;
        long sdata;
        long udata;
        boolean enabled = true;
        /** Active outside epoll, waiting in {@link Queue#pending}: a triggered user event, an exit, an edge. */
        boolean active;
        FdWatch fd;
        ProcWatch proc;
        /** Edge-triggered fd knotes: the epoll events of the edge not yet delivered. */
        int edgeEvents;
        // EVFILT_USER state
        int userFflags;
        long userData;

        Knote(long ident, int filter) {
            this.ident = ident;
            this.filter = filter;
        }
    }

    /** The epoll item of one fd number and its (at most two) knotes. */
    private static final class FdWatch {
        final int fd;
        long tag;
        /** The mask epoll holds for the number; 0 when there is no item. */
        int mask;
        Knote read, write;

        FdWatch(int fd) {
            this.fd = fd;
        }
    }

    /** The pidfd of one watched process. */
    private static final class ProcWatch {
        final long pid;
        final int pidfd;
        final long startTime;
        long tag;
        /** The exit was seen (or the process was a zombie already): status below. */
        boolean exited;
        boolean statusKnown;
        int status;

        final Knote knote;

        ProcWatch(long pid, int pidfd, long startTime, Knote knote) {
            this.pid = pid;
            this.pidfd = pidfd;
            this.startTime = startTime;
            this.knote = knote;
        }
    }

    /** Linux's EPOLLET (1u << 31). */
    private static final int EPOLLET = 1 << 31;

    private final class Queue {
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

        Queue() {
            int ep = libc.epoll_create1(Linux.EPOLL_CLOEXEC);
            if (ep < 0) throw new SimFailure(osErrno(LibCRuntime.errno()));
            int efd = libc.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
            if (efd < 0) {
                int err = LibCRuntime.errno();
                libc.close(ep);
                throw new SimFailure(osErrno(err));
            }
            epollEvents = new Memory(epollCapacity * epollLayout.size());
            if (epollCtl(ep, Linux.EPOLL_CTL_ADD, efd, Linux.EPOLLIN, 0L) < 0) {
                int err = LibCRuntime.errno();
                libc.close(efd);
                libc.close(ep);
                throw new SimFailure(osErrno(err));
            }
            this.epfd = ep;
            this.wakeFd = efd;
            ownFds.add(ep);
            ownFds.add(efd);
            one.bytes.putLong(0, 1L);
        }

        private int epollCtl(int ep, int op, int fd, int events, long tag) {
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
                if (closed) return fail(k.errnos().ebadf());
                int room = nevents;
                KqueueConstants.Flags f = k.flags();
                for (int i = 0; i < nchanges; i++) {
                    int flags = layout.flags(changes, i) & ~f.sysflags();
                    long ident = layout.ident(changes, i);
                    int filter = layout.filter(changes, i);
                    int err = apply(ident, filter, flags, layout.fflags(changes, i), layout.data(changes, i),
                            layout.udata(changes, i));
                    if (err != 0 || (flags & f.receipt()) != 0) {
                        if (room == 0) return err != 0 ? fail(err) : written[0]; // no room: the rest is not processed
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
                        if (closed) return fail(k.errnos().ebadf());
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
            Memory pfd = waitPollfd.get(); // not the queue's: this runs without the lock
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
            boolean fdFilter = filter == fi.read() || filter == fi.write();
            if (!fdFilter && filter != fi.proc() && !(fi.userDefined() && filter == fi.user())) {
                return k.errnos().einval(); // not simulated (NOT_MODELED)
            }
            if (fdFilter) {
                // Fact 7: a number that is one of the simulation's own fds is not open for the simulated process.
                if (ident < 0 || ident > Integer.MAX_VALUE || ownFds.contains((int) ident) || libc.fcntl((int) ident, 1, 0) < 0) {
                    if (ident >= 0 && ident <= Integer.MAX_VALUE) purgeFd((int) ident);
                    return k.errnos().ebadf();
                }
                purgeIfReused((int) ident);
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
                if (fdFilter) err = attachFd(kn);
                else if (filter == fi.proc()) err = attachProc(kn);
                else err = attachUser(kn, fflags, data);
                if (err != 0) return err;
                knotes.put(key, kn);
                if (kn.active && kn.enabled) activate(kn);
                return 0;
            }
            // An existing knote: EV_ADD again, EV_ENABLE/EV_DISABLE, or a user trigger.
            // kern_event.c updates udata, fflags and data; the flags given at EV_ADD stay.
            kn.udata = udata;
            if (filter == fi.user()) {
                touchUser(kn, fflags, data, flags);
            } else if (filter != fi.proc()) {
                kn.sfflags = fflags;
                kn.sdata = data;
            }
            if ((flags & f.enable()) != 0) kn.enabled = true;
            if ((flags & f.disable()) != 0) kn.enabled = false;
            if (fdFilter) {
                int err = syncFd(kn.fd);
                if (err != 0) return err;
            }
            if (kn.active && kn.enabled) activate(kn);
            return 0;
        }

        private int attachFd(Knote kn) {
            int fd = (int) kn.ident;
            FdWatch w = fds.get(fd);
            boolean fresh = w == null;
            if (fresh) w = new FdWatch(fd);
            if (kn.filter == k.filters().read()) w.read = kn;
            else w.write = kn;
            kn.fd = w;
            int err = syncFd(w);
            if (err != 0) {
                if (kn.filter == k.filters().read()) w.read = null;
                else w.write = null;
                if (!fresh) syncFd(w);
                return err;
            }
            if (fresh) fds.put(fd, w);
            return 0;
        }

        /** Brings the fd's epoll item in line with its enabled knotes (fact 3). */
        private int syncFd(FdWatch w) {
            int clear = k.flags().clear();
            int mask = 0;
            int enabled = 0;
            int cleared = 0;
            for (Knote kn : new Knote[] {w.read, w.write}) {
                if (kn == null || !kn.enabled) continue;
                enabled++;
                if ((kn.flags & clear) != 0) cleared++;
                mask |= kn == w.read ? Linux.EPOLLIN | Linux.EPOLLRDHUP : Linux.EPOLLOUT;
            }
            if (cleared != 0 && cleared != enabled) return k.errnos().einval(); // NOT_MODELED: mixed EV_CLEAR
            if (cleared != 0) mask |= EPOLLET;
            if (mask == w.mask) return 0;
            if (mask == 0) {
                epollCtl(epfd, Linux.EPOLL_CTL_DEL, w.fd, 0, 0L); // ENOENT/EBADF: gone with its file already
                byTag.remove(w.tag);
                w.mask = 0;
                return 0;
            }
            if (w.mask != 0 && epollCtl(epfd, Linux.EPOLL_CTL_MOD, w.fd, mask, w.tag) == 0) {
                w.mask = mask;
                return 0;
            }
            // No item yet, or it went with the file the number named before: add one for what it names now.
            byTag.remove(w.tag);
            w.tag = nextTag++;
            if (epollCtl(epfd, Linux.EPOLL_CTL_ADD, w.fd, mask, w.tag) < 0) {
                int err = LibCRuntime.errno();
                if (err == Linux.EEXIST && epollCtl(epfd, Linux.EPOLL_CTL_MOD, w.fd, mask, w.tag) == 0) {
                    // an item for this file under the number existed (added through a dup'ed number): retagged
                } else {
                    w.mask = 0;
                    return osErrno(err);
                }
            }
            byTag.put(w.tag, w);
            w.mask = mask;
            return 0;
        }

        private int attachProc(Knote kn) {
            KqueueConstants.Notes notes = k.notes();
            int supported = notes.exit() | notes.exitStatus();
            if ((kn.sfflags & ~supported) != 0) return k.errnos().einval(); // NOT_MODELED: other notes
            long pid = kn.ident;
            if (pid <= 0 || pid > Integer.MAX_VALUE) return k.errnos().esrch();
            long rc = libc.syscall(Linux.SYS_PIDFD_OPEN, (int) pid, 0);
            if (rc < 0) {
                int err = LibCRuntime.errno();
                if (err == Linux.ESRCH || err == Linux.EINVAL) return k.errnos().esrch(); // no such process
                return osErrno(err == Linux.EPERM ? Linux.ENOSYS : err); // no pidfds here: cannot simulate
            }
            int pidfd = (int) rc;
            ownFds.add(pidfd);
            ProcWatch w = new ProcWatch(pid, pidfd, startTime(pid), kn);
            boolean zombie = isReadable(pidfd);
            if (zombie && !zombiesFire) {
                closeOwn(pidfd);
                return k.errnos().esrch(); // macOS/OpenBSD: proc_find refuses zombies
            }
            boolean wantStatus = notes.exitStatus() != 0 && (kn.sfflags & notes.exitStatus()) != 0;
            if (wantStatus && !isOurChild(pid)) { // xnu before cansignal(): the parent only
                closeOwn(pidfd);
                return k.errnos().eacces();
            }
            if (zombie) {
                exited(w);
                kn.proc = w;
                kn.active = true; // FreeBSD: "immediately activate" exit notes of a zombie
                kn.flags |= k.flags().clear();
                return 0;
            }
            w.tag = nextTag++;
            if (epollCtl(epfd, Linux.EPOLL_CTL_ADD, pidfd, Linux.EPOLLIN, w.tag) < 0) {
                int err = LibCRuntime.errno();
                closeOwn(pidfd);
                return osErrno(err);
            }
            byTag.put(w.tag, w);
            kn.proc = w;
            kn.flags |= k.flags().clear(); // EVFILT_PROC is EV_CLEAR on FreeBSD and macOS
            return 0;
        }

        private int attachUser(Knote kn, int fflags, long data) {
            kn.userFflags = 0;
            touchUser(kn, fflags, data, 0);
            return 0;
        }

        /** FreeBSD filt_usertouch(EVENT_REGISTER). */
        private void touchUser(Knote kn, int fflags, long data, int flags) {
            KqueueConstants.Notes n = k.notes();
            if ((fflags & n.trigger()) != 0) kn.active = true;
            int ctrl = fflags & n.ffctrlMask();
            int bits = fflags & n.fflagsMask();
            if (ctrl == n.ffand()) kn.userFflags &= bits;
            else if (ctrl == n.ffor()) kn.userFflags |= bits;
            else if (ctrl == n.ffcopy()) kn.userFflags = bits;
            kn.userData = data;
            if ((flags & k.flags().clear()) != 0) {
                kn.active = false;
                kn.userFflags = 0;
                kn.userData = 0;
            }
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
        private void drop(Knote kn) {
            knotes.remove(new Key(kn.ident, kn.filter), kn);
            pending.remove(kn);
            kn.active = false;
            if (kn.fd != null) {
                FdWatch w = kn.fd;
                if (w.read == kn) w.read = null;
                if (w.write == kn) w.write = null;
                syncFd(w);
                if (w.read == null && w.write == null) fds.remove(w.fd, w);
            }
            if (kn.proc != null) {
                ProcWatch w = kn.proc;
                if (w.tag != 0) byTag.remove(w.tag);
                closeOwn(w.pidfd); // removes its epoll item too
                kn.proc = null;
            }
        }

        /**
         * Fact 3: the knotes of a number whose file was closed are gone in kqueue; here they linger
         * until the number is used again. EPOLL_CTL_MOD finds the item only if the number still names
         * the file it was added for (epoll keys items by number and file): ENOENT means that file was
         * closed, and its knotes are purged. (Knotes that are all disabled have no item to check.)
         */
        private void purgeIfReused(int fd) {
            FdWatch w = fds.get(fd);
            if (w == null || w.mask == 0) return;
            if (epollCtl(epfd, Linux.EPOLL_CTL_MOD, fd, w.mask, w.tag) < 0 && LibCRuntime.errno() == Linux.ENOENT) {
                purgeFd(fd);
            }
        }

        /** Forgets every knote of an fd number that is no longer open (close removes knotes). */
        void purgeFd(int fd) {
            lock.lock();
            try {
                FdWatch w = fds.remove(fd);
                if (w == null) return;
                byTag.remove(w.tag);
                w.mask = 0;
                for (Knote kn : new Knote[] {w.read, w.write}) {
                    if (kn == null) continue;
                    knotes.remove(new Key(kn.ident, kn.filter), kn);
                    pending.remove(kn);
                }
                w.read = w.write = null;
            } finally {
                lock.unlock();
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
                    if ((w.mask & EPOLLET) != 0) { // edge-triggered: keep the edge until it is delivered
                        for (Knote kn : readyKnotes(w, ev)) {
                            kn.active = true;
                            kn.edgeEvents |= ev;
                            if (!pending.contains(kn)) pending.add(kn);
                        }
                    } else {
                        readyFds.add(w);
                        readyMasks.add(ev);
                    }
                } else if (o instanceof ProcWatch w && !w.exited) {
                    exited(w);
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
                for (Knote kn : readyKnotes(w, ev)) {
                    if (n == max) break; // level-triggered: the rest comes back with the next scan
                    n = deliverFd(kn, ev, out, n);
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

        private List<Knote> readyKnotes(FdWatch w, int ev) {
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

        private int deliverPending(Knote kn, ByteBuffer out, int n) {
            KqueueConstants.Filters fi = k.filters();
            if (kn.fd != null) {
                kn.active = false;
                int ev = kn.edgeEvents;
                kn.edgeEvents = 0;
                return deliverFd(kn, ev, out, n);
            }
            if (kn.filter == fi.proc()) return deliverExit(kn, out, n);
            return deliverUser(kn, out, n);
        }

        private int deliverFd(Knote kn, int ev, ByteBuffer out, int n) {
            KqueueConstants.Flags f = k.flags();
            int flags = kn.flags;
            long data = 0;
            if (kn.filter == k.filters().read()) {
                if ((ev & (Linux.EPOLLRDHUP | Linux.EPOLLHUP | Linux.EPOLLERR)) != 0) flags |= f.eof();
                if (libc.ioctl((int) kn.ident, Linux.FIONREAD, scratch.address) == 0) {
                    data = Math.max(0, scratch.bytes.getInt(0));
                }
            } else if ((ev & (Linux.EPOLLHUP | Linux.EPOLLERR)) != 0) {
                flags |= f.eof();
            }
            layout.put(out, n, kn.ident, kn.filter, flags, 0, data, kn.udata);
            afterDelivery(kn);
            return n + 1;
        }

        private int deliverExit(Knote kn, ByteBuffer out, int n) {
            KqueueConstants.Notes notes = k.notes();
            ProcWatch w = kn.proc;
            int fflags = 0;
            long data = 0;
            if (w.statusKnown) {
                if ((kn.sfflags & notes.exit()) != 0) fflags |= notes.exit();
                if (notes.exitStatus() != 0 && (kn.sfflags & notes.exitStatus()) != 0) {
                    fflags |= notes.exitStatus();
                    data = w.status;
                } else if (notes.exitStatus() == 0) {
                    data = w.status; // the BSDs store the status with every NOTE_EXIT
                }
            } else if (notes.exitStatus() != 0) {
                fflags = kn.sfflags & notes.exit(); // macOS without the status: data 0, as without NOTE_EXITSTATUS
            }
            // else (BSD semantics, status unknown): NOT_MODELED, delivered without NOTE_EXIT
            KqueueConstants.Flags f = k.flags();
            layout.put(out, n, kn.ident, kn.filter, kn.flags | f.eof() | f.oneshot(), fflags, data, kn.udata);
            drop(kn); // EV_ONESHOT: the kernel removes the knote with the exit
            return n + 1;
        }

        private int deliverUser(Knote kn, ByteBuffer out, int n) {
            layout.put(out, n, kn.ident, kn.filter, kn.flags, kn.userFflags, kn.userData, kn.udata);
            if ((kn.flags & k.flags().clear()) != 0) {
                kn.active = false;
                kn.userFflags = 0;
                kn.userData = 0;
            } else {
                pending.add(kn); // still triggered: level, reported again
            }
            afterDelivery(kn);
            return n + 1;
        }

        private void afterDelivery(Knote kn) {
            KqueueConstants.Flags f = k.flags();
            if ((kn.flags & f.oneshot()) != 0) {
                drop(kn);
            } else if ((kn.flags & f.dispatch()) != 0) {
                kn.enabled = false;
                if (kn.fd != null) syncFd(kn.fd);
            }
        }

        // ------------------------------------------------------------ processes

        private boolean isReadable(int fd) {
            pollfd.bytes.putInt(0, fd);
            pollfd.bytes.putShort(4, (short) 1); // POLLIN
            pollfd.bytes.putShort(6, (short) 0);
            return libc.poll(pollfd.address, 1, 0) == 1 && (pollfd.bytes.getShort(6) & 1) != 0;
        }

        /** Records the exit and, where it can still be learned without reaping, the wait status (fact 4). */
        private void exited(ProcWatch w) {
            w.exited = true;
            ByteBuffer si = scratch.bytes;
            for (int i = 0; i < Linux.SIGINFO_SIZE; i += 8) si.putLong(i, 0L);
            int rc = libc.waitid(Linux.P_PIDFD, w.pidfd, scratch.address, Linux.WEXITED | Linux.WNOHANG | Linux.WNOWAIT);
            if (rc == 0 && si.getInt(Linux.SIGINFO_PID_OFFSET) == (int) w.pid) {
                int code = si.getInt(Linux.SIGINFO_CODE_OFFSET);
                int st = si.getInt(Linux.SIGINFO_STATUS_OFFSET);
                if (code == Linux.CLD_EXITED) w.status = (st & 0xff) << 8;
                else if (code == Linux.CLD_KILLED) w.status = st & 0x7f;
                else if (code == Linux.CLD_DUMPED) w.status = (st & 0x7f) | 0x80;
                else return;
                w.statusKnown = true;
                return;
            }
            long[] zombie = procStat(w.pid);
            if (zombie != null && zombie[0] == 'Z' && w.startTime >= 0 && zombie[1] == w.startTime && zombie[2] >= 0) {
                w.status = (int) zombie[2];
                w.statusKnown = true;
            }
        }

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
                if (kn.proc != null) closeOwn(kn.proc.pidfd);
            }
            knotes.clear();
            fds.clear();
            byTag.clear();
            pending.clear();
            closeOwn(wakeFd);
            closeOwn(epfd);
        }
    }

    /** Closes one of the simulation's own fds; its number leaves {@link #ownFds} first, so it is never refused once reused. */
    private void closeOwn(int fd) {
        ownFds.remove(fd);
        libc.close(fd);
    }

    // ================================================================ /proc

    /** Whether {@code pid}'s parent is this JVM. */
    private static boolean isOurChild(long pid) {
        long me = ProcessHandle.current().pid();
        return ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L) == me;
    }

    private static long startTime(long pid) {
        long[] s = procStat(pid);
        return s == null ? -1 : s[1];
    }

    /**
     * From /proc/PID/stat: {state, starttime (field 22), exit_code (field 52, a wait status; -1 when
     * the kernel hides it)}, or null when there is no such process.
     */
    private static long[] procStat(long pid) {
        String s;
        try {
            s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException gone) {
            return null;
        }
        int close = s.lastIndexOf(')'); // the command name may hold spaces and parentheses
        if (close < 0 || close + 2 >= s.length()) return null;
        String[] f = s.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state); field n is f[n - 3]
        try {
            long state = f[0].charAt(0);
            long start = f.length > 19 ? Long.parseLong(f[19]) : -1;
            long exit = f.length > 49 ? Long.parseLong(f[49]) : -1;
            return new long[] {state, start, exit};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
