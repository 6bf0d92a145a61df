/*
 * How the simulation maps kqueue(2) onto Linux, and where it cannot follow (the exact list is in
 * NOT_MODELED below and in the README text of the backend table).
 *
 * The facts are numbered across the simulation's files and each stands with the code it shapes; a
 * fact cited without a file is one of the file's own. Here: 7. SimulatedQueue.java (one simulated
 * kqueue, its kevent() and change list, the wait): 1, 2, 6. FdFilter.java (EVFILT_READ,
 * EVFILT_WRITE): 3. ProcFilter.java (EVFILT_PROC): 4. UserFilter.java (EVFILT_USER): 5.
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

import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.epoll.Linux;
import io.kwait.nativeio.kqueue.KeventLayout;
import io.kwait.nativeio.kqueue.KqueueBinding;
import io.kwait.nativeio.kqueue.KqueueConstants;
import io.kwait.nativeio.kqueue.KqueuePlatform;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

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
                    + " would accept it; the backend never asks (a virtual thread's blocking kevent() runs on a platform"
                    + " thread of the backend on both)",
            "kevent64, kevent_qos, EV_UDATA_SPECIFIC, EV_VANISHED, EV_FORCEONESHOT, EV_KEEPUDATA, NOTE_LOWAT");

    private final KqueuePlatform platform;
    final KeventLayout layout;
    final KqueueConstants k;
    /** FreeBSD attaches to zombies and fires at once; macOS and OpenBSD answer ESRCH. */
    final boolean zombiesFire;
    final LibC libc;
    private final jnr.ffi.Runtime runtime;
    private final Map<Integer, SimulatedQueue> queues = new ConcurrentHashMap<>();
    /**
     * The fds the simulation itself holds (every queue's epoll fd and eventfd, every pidfd): no
     * fds of the simulated process, whose kernel keeps such things out of its fd table (fact 7).
     */
    final java.util.Set<Integer> ownFds = ConcurrentHashMap.newKeySet();
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

    int fail(int osErrno) {
        errno.get()[0] = osErrno;
        return -1;
    }

    private int failLinux() {
        return fail(osErrno(LibCRuntime.errno()));
    }

    int osErrno(int linux) {
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
        SimulatedQueue q = queues.remove(fd);
        if (q != null) {
            q.close();
            return 0;
        }
        if (ownFds.contains(fd)) return fail(k.errnos().ebadf()); // fact 7: not the simulated process's fd
        if (libc.close(fd) < 0) return failLinux();
        for (SimulatedQueue other : queues.values()) other.fdFilter.purgeFd(fd); // closing an fd removes its knotes
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
            SimulatedQueue q = new SimulatedQueue(this);
            queues.put(q.epfd, q);
            return q.epfd;
        } catch (SimFailure f) {
            return fail(f.osErrno);
        }
    }

    @Override
    public int kevent(int kq, long changelist, int nchanges, long eventlist, int nevents, long timeout) {
        SimulatedQueue q = queues.get(kq);
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
    final ThreadLocal<Memory> waitPollfd = ThreadLocal.withInitial(() -> new Memory(8));

    private ByteBuffer copyIn(long address, int bytes) {
        byte[] a = new byte[bytes];
        jnr.ffi.Pointer.wrap(runtime, address).get(0, a, 0, bytes);
        return ByteBuffer.wrap(a).order(ByteOrder.nativeOrder());
    }

    private void copyOut(long address, ByteBuffer from, int bytes) {
        jnr.ffi.Pointer.wrap(runtime, address).put(0, from.array(), 0, bytes);
    }

    /** A failure inside the simulation, as the simulated OS's errno. */
    static final class SimFailure extends RuntimeException {
        final int osErrno;

        SimFailure(int osErrno) {
            super(null, null, false, false);
            this.osErrno = osErrno;
        }
    }

    /** Closes one of the simulation's own fds; its number leaves {@link #ownFds} first, so it is never refused once reused. */
    void closeOwn(int fd) {
        ownFds.remove(fd);
        libc.close(fd);
    }

    @Override
    public String toString() {
        return describe();
    }
}
