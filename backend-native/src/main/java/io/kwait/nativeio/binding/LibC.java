package io.kwait.nativeio.binding;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;
import jnr.ffi.types.uintptr_t;

/**
 * The JNR binding of the C library functions kwait's native backends call. Obtain the one
 * instance with {@code LibCRuntime.libc()}; read {@code errno} with {@code LibCRuntime.errno()} on
 * the same thread right after a call that failed.
 *
 * <p>Memory arguments are plain addresses ({@code @uintptr_t long}) of direct
 * {@link java.nio.ByteBuffer}s ({@code Memory}), so reading results costs no JNI call and
 * no {@code sun.misc.Unsafe}. Every call returns what the C function returns: {@code -1} with
 * {@code errno} set on failure.
 *
 * <p>The first group is POSIX and shared by every native backend; the rest is Linux-only and
 * binds lazily (JNR resolves a symbol on first call), so loading this interface on macOS or BSD
 * works and only calling a Linux function there would fail.
 */
public interface LibC {

    // ---------------------------------------------------------------- POSIX

    /** {@code ssize_t read(int fd, void *buf, size_t count)}. */
    @ssize_t long read(int fd, @uintptr_t long buf, @size_t long count);

    /** {@code ssize_t write(int fd, const void *buf, size_t count)}. */
    @ssize_t long write(int fd, @uintptr_t long buf, @size_t long count);

    /** {@code int close(int fd)}. */
    int close(int fd);

    /** {@code int pipe(int fds[2])}: {@code fds[0]} is the read end. */
    int pipe(@Out int[] fds);

    /**
     * {@code int ioctl(int fd, unsigned long request, ...)} with one pointer argument, e.g.
     * {@code FIONREAD} (whose number differs per OS: {@code Linux.FIONREAD}).
     */
    @Variadic(fixedCount = 2)
    int ioctl(int fd, @u_int64_t long request, @uintptr_t long arg);

    /** {@code char *strerror(int errnum)}, for messages. */
    String strerror(int errnum);

    /**
     * {@code int fcntl(int fd, int cmd, ...)} with one int argument ({@code F_GETFL}, {@code F_SETFL},
     * {@code F_GETFD}, {@code F_SETFD}); the numbers differ per OS ({@code O_NONBLOCK} is 0x800 on
     * Linux, 0x4 on macOS/BSD).
     */
    @Variadic(fixedCount = 2)
    int fcntl(int fd, int cmd, int arg);

    /**
     * {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)}; {@code struct pollfd} is
     * {@code {int fd; short events; short revents;}} (8 bytes) everywhere. {@code nfds_t} is
     * {@code unsigned long} on Linux and {@code unsigned int} on macOS/BSD (the upper half of the
     * register is ignored there).
     */
    int poll(@uintptr_t long fds, @u_int64_t long nfds, int timeoutMillis);

    // ---------------------------------------------------------------- macOS and the BSDs

    /** {@code int kqueue(void)}. Absent on Linux (bound lazily: never called there). */
    int kqueue();

    /**
     * {@code int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
     * int nevents, const struct timespec *timeout)}; the struct layout differs per OS
     * ({@code io.kwait.nativeio.kqueue.KeventLayout}). On FreeBSD 12+ this symbol is the 64-byte ABI.
     * The timeout is a {@link Pointer} ({@code null}: block), not a {@code long} address: with six
     * primitive parameters JNR's all-integer fast path passes a wrong sixth argument (jnr-ffi 2.2.17
     * on x86-64, jnr/jnr-ffi#181; reproduced here with this very shape), and one object parameter
     * takes the call off that path.
     */
    int kevent(int kq, @uintptr_t long changelist, int nchanges, @uintptr_t long eventlist, int nevents,
               Pointer timeout);

    // ---------------------------------------------------------------- Linux

    /** {@code int pipe2(int fds[2], int flags)} (Linux 2.6.27), e.g. with {@code O_CLOEXEC | O_NONBLOCK}. */
    int pipe2(@Out int[] fds, int flags);

    /** {@code int epoll_create1(int flags)}; kwait passes {@code Linux.EPOLL_CLOEXEC}. */
    int epoll_create1(int flags);

    /** {@code int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)}; see {@code EpollEventLayout}. */
    int epoll_ctl(int epfd, int op, int fd, @uintptr_t long event);

    /** {@code int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms)}. */
    int epoll_wait(int epfd, @uintptr_t long events, int maxEvents, int timeoutMillis);

    /** {@code int eventfd(unsigned int initval, int flags)}. */
    int eventfd(int initialValue, int flags);

    /**
     * {@code ioctl(fd, request, arg)} bound with fixed arity (mapped to the symbol {@code ioctl} by
     * {@code LibCRuntime}), for the Linux hot path ({@code FIONREAD} after every READ readiness). On
     * every Linux ABI kwait runs on (x86-64, i386, aarch64, riscv64, loongarch64) an integer or
     * pointer argument after the fixed ones travels exactly as a fixed one, and JNR's fixed-arity
     * stub is much cheaper than its variadic path (measured here: 210 ns against 340 ns a call).
     * Never use it on Apple arm64, where variadic arguments go on the stack: use {@link #ioctl}.
     */
    int ioctlFixedArity(int fd, @u_int64_t long request, @uintptr_t long arg);

    /**
     * {@code long syscall(long number, ...)} with two int arguments: {@code pidfd_open(pid, flags)}
     * ({@code Linux.SYS_PIDFD_OPEN}). glibc has no wrapper before 2.36, so kwait calls the number.
     */
    @Variadic(fixedCount = 1)
    long syscall(long number, int arg1, int arg2);

    /**
     * {@code long syscall(long number, ...)} with four arguments:
     * {@code pidfd_send_signal(pidfd, sig, siginfo_t *info, flags)} ({@code Linux.SYS_PIDFD_SEND_SIGNAL}).
     */
    @Variadic(fixedCount = 1)
    long syscall(long number, int arg1, int arg2, @uintptr_t long arg3, int arg4);

    /**
     * {@code long syscall(long number, ...)} as {@code epoll_pwait2(epfd, struct epoll_event *events,
     * maxevents, const struct timespec *timeout, const sigset_t *sigmask, size_t sigsetsize)}
     * ({@code Linux.SYS_EPOLL_PWAIT2}, Linux 5.11; glibc wraps it only from 2.35).
     */
    @Variadic(fixedCount = 1)
    long syscall(long number, int epfd, @uintptr_t long events, int maxEvents, @uintptr_t long timeout,
                 @uintptr_t long sigmask, long sigsetSize);

    /**
     * {@code int waitid(idtype_t idtype, id_t id, siginfo_t *infop, int options)}. kwait never reaps:
     * any use must pass {@code Linux.WNOWAIT} (the JDK reaps its children and would otherwise
     * report exit value 0).
     */
    int waitid(int idType, int id, @uintptr_t long info, int options);
}
