package io.kwait.nativeio.epoll;

import java.util.Locale;
import java.util.Set;

/**
 * Linux constants for {@link io.kwait.nativeio.binding.LibC LibC}, as the kernel's uapi headers define them for the
 * architectures in {@link #VERIFIED_ARCHES} (x86 and the asm-generic ones). Some differ elsewhere
 * ({@code O_NONBLOCK} and {@code FIONREAD} on mips, sparc, alpha, powerpc), which is why the epoll
 * backend declares itself unavailable on other architectures rather than guess.
 */
public final class Linux {
    private Linux() {}

    /** {@code os.arch} values whose constants below were checked against the kernel headers. */
    public static final Set<String> VERIFIED_ARCHES =
            Set.of("amd64", "x86_64", "x86", "i386", "i486", "i586", "i686", "aarch64", "riscv64", "loongarch64");

    /** Whether the constants of this class hold for {@code osArch}. */
    public static boolean constantsVerifiedFor(String osArch) {
        return osArch != null && VERIFIED_ARCHES.contains(osArch.toLowerCase(Locale.ROOT));
    }

    // ---------------------------------------------------------------- errno

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int ENOSYS = 38;
    public static final int ELOOP = 40;

    // ---------------------------------------------------------------- open flags

    /** {@code O_NONBLOCK} (04000). Also {@code EFD_NONBLOCK} and {@code PIDFD_NONBLOCK}. */
    public static final int O_NONBLOCK = 0x800;
    /** {@code O_CLOEXEC} (02000000). Also {@code EPOLL_CLOEXEC} and {@code EFD_CLOEXEC}. */
    public static final int O_CLOEXEC = 0x80000;

    // ---------------------------------------------------------------- epoll

    public static final int EPOLL_CLOEXEC = O_CLOEXEC;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLPRI = 0x002;
    public static final int EPOLLOUT = 0x004;
    /** Always reported, whether asked for or not. */
    public static final int EPOLLERR = 0x008;
    /** Always reported, whether asked for or not. */
    public static final int EPOLLHUP = 0x010;
    /** The peer shut down its writing half (Linux 2.6.17). */
    public static final int EPOLLRDHUP = 0x2000;

    // ---------------------------------------------------------------- eventfd, ioctl

    public static final int EFD_CLOEXEC = O_CLOEXEC;
    public static final int EFD_NONBLOCK = O_NONBLOCK;
    /** {@code ioctl(fd, FIONREAD, int *)}: bytes readable now (asm-generic value). */
    public static final long FIONREAD = 0x541B;

    // ---------------------------------------------------------------- pidfd and waitid

    /** {@code pidfd_send_signal} (Linux 5.1); numbers from 424 on are the same on every architecture. */
    public static final long SYS_PIDFD_SEND_SIGNAL = 424;
    /** {@code pidfd_open} (Linux 5.3). */
    public static final long SYS_PIDFD_OPEN = 434;
    /** {@code epoll_pwait2} (Linux 5.11): epoll_wait with a {@code struct timespec} timeout. */
    public static final long SYS_EPOLL_PWAIT2 = 441;
    public static final int P_PID = 1;
    /** {@code waitid} id type for a pidfd (Linux 5.4). */
    public static final int P_PIDFD = 3;
    public static final int WNOHANG = 0x1;
    public static final int WEXITED = 0x4;
    /** Leave the child waitable: the probe does not reap. */
    public static final int WNOWAIT = 0x01000000;
    /** {@code sizeof(siginfo_t)}. */
    public static final int SIGINFO_SIZE = 128;
    public static final int SIGINFO_SIGNO_OFFSET = 0;
    public static final int SIGINFO_CODE_OFFSET = 8;
    public static final int SIGINFO_PID_OFFSET = 16;
    public static final int SIGINFO_STATUS_OFFSET = 24;
    public static final int CLD_EXITED = 1;
    public static final int CLD_KILLED = 2;
    public static final int CLD_DUMPED = 3;
}
