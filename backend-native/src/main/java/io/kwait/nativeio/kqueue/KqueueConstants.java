package io.kwait.nativeio.kqueue;

/**
 * The numbers of one OS's kqueue API, as data: filter numbers, {@code EV_*} flags (including the
 * bits 0x100 and 0x200, which mean different things on macOS and FreeBSD), {@code NOTE_*} values,
 * the {@code errno} values the backend interprets, and the {@code fcntl} numbers for the wakeup
 * pipe. The backend never hard-codes one of these; the simulated kqueue reads and writes them as
 * the OS it simulates would.
 *
 * <p>Sources: each OS's {@code sys/event.h}, {@code sys/errno.h} and {@code sys/fcntl.h}
 * (FreeBSD, xnu, OpenBSD). A value an OS does not define is 0, except filter numbers, whose
 * presence {@link Filters#userDefined()} states (0 is a valid filter number on NetBSD).
 *
 * @param os      for messages
 * @param filters {@code EVFILT_*}
 * @param flags   {@code EV_*}
 * @param notes   {@code NOTE_*}
 * @param errnos  {@code E*} values the backend and the simulation use
 * @param fcntl   {@code fcntl} commands and flags for the wakeup pipe
 */
public record KqueueConstants(String os, Filters filters, Flags flags, Notes notes, Errnos errnos, Fcntl fcntl) {

    /**
     * Filter numbers.
     *
     * @param userDefined whether the headers define {@code EVFILT_USER} (the kernel may still lack
     *                    it: the backend probes it at open and falls back to a pipe)
     */
    public record Filters(int read, int write, int aio, int vnode, int proc, int signal, int timer,
                          int user, boolean userDefined) {}

    /**
     * {@code EV_*} action and status flags. The first eight and the last two are the same on every
     * OS; 0x100 is {@code EV_UDATA_SPECIFIC} on macOS and {@code EV_FORCEONESHOT} on FreeBSD, 0x200
     * is {@code EV_VANISHED} on macOS and {@code EV_KEEPUDATA} on FreeBSD: each is 0 where undefined.
     */
    public record Flags(int add, int delete, int enable, int disable, int oneshot, int clear, int receipt,
                        int dispatch, int udataSpecific, int forceOneshot, int vanished, int keepUdata,
                        int sysflags, int flag1, int error, int eof) {}

    /**
     * {@code NOTE_*} filter flags: process ({@code exitStatus} is macOS-only), user-filter control,
     * read/write low-water mark, and timer units (whose values differ: FreeBSD numbers them as bits
     * 1/2/4/8, macOS 1/-/2/4, OpenBSD as an enumeration 1/0/2/3; kwait uses no kernel timer, they are
     * recorded so nobody copies one OS's value for another).
     */
    public record Notes(int exit, int exitStatus, int pdataMask, int trigger, int ffnop, int ffand, int ffor,
                        int ffcopy, int ffctrlMask, int fflagsMask, int lowat, int timerSeconds,
                        int timerMilliseconds, int timerMicroseconds, int timerNanoseconds, int timerAbsolute) {}

    /** {@code errno} values. */
    public record Errnos(int eperm, int enoent, int esrch, int eintr, int eio, int ebadf, int enomem, int eacces,
                         int efault, int einval, int emfile, int epipe, int eagain, int enotsup, int enosys,
                         int econnreset, int econnrefused) {}

    /** {@code fcntl(2)} commands and flags. */
    public record Fcntl(int getfd, int setfd, int fdCloexec, int getfl, int setfl, int oNonblock) {}

    /** The filter numbers every OS here agrees on (macOS, FreeBSD, OpenBSD); only {@code EVFILT_USER} differs. */
    private static Filters filters(int user) {
        return new Filters(-1, -2, -3, -4, -5, -6, -7, user, true);
    }

    /**
     * The {@code NOTE_*} values every OS here agrees on; {@code NOTE_EXITSTATUS} (macOS only) and the
     * timer units differ.
     */
    private static Notes notes(int exitStatus, int timerMilliseconds, int timerMicroseconds, int timerNanoseconds,
                               int timerAbsolute) {
        return new Notes(0x80000000, exitStatus, 0x000FFFFF, 0x01000000, 0, 0x40000000, 0x80000000, 0xC0000000,
                0xC0000000, 0x00FFFFFF, 0x1, 0x1, timerMilliseconds, timerMicroseconds, timerNanoseconds, timerAbsolute);
    }

    /** The {@code errno} values every OS here agrees on; only {@code ENOTSUP} differs. */
    private static Errnos errnos(int enotsup) {
        return new Errnos(1, 2, 3, 4, 5, 9, 12, 13, 14, 22, 24, 32, 35, enotsup, 78, 54, 61);
    }

    /** The flags and {@code fflags} bits every OS here agrees on (macOS, FreeBSD, OpenBSD). */
    private static Flags flags(int udataSpecific, int forceOneshot, int vanished, int keepUdata, int sysflags) {
        return new Flags(0x0001, 0x0002, 0x0004, 0x0008, 0x0010, 0x0020, 0x0040, 0x0080,
                udataSpecific, forceOneshot, vanished, keepUdata, sysflags, 0x2000, 0x4000, 0x8000);
    }

    private static final Fcntl BSD_FCNTL = new Fcntl(1, 2, 1, 3, 4, 0x0004);

    /** macOS ({@code xnu bsd/sys/event.h}). */
    public static final KqueueConstants MACOS = new KqueueConstants("macOS",
            filters(-10), flags(0x0100, 0, 0x0200, 0, 0xF000), notes(0x04000000, 0, 0x2, 0x4, 0x8), errnos(45),
            BSD_FCNTL);

    /** FreeBSD (both the 12+ and the 11 ABI; only the struct layout differs). */
    public static final KqueueConstants FREEBSD = new KqueueConstants("FreeBSD",
            filters(-11), flags(0, 0x0100, 0, 0x0200, 0xF000), notes(0, 0x2, 0x4, 0x8, 0x10), errnos(45),
            BSD_FCNTL);

    /**
     * OpenBSD ({@code sys/event.h} rev 1.74). {@code EVFILT_USER} is in current headers only; older
     * kernels refuse it, and the backend's probe then takes the pipe.
     */
    public static final KqueueConstants OPENBSD = new KqueueConstants("OpenBSD",
            filters(-10), flags(0, 0, 0, 0, 0xF800), notes(0, 0, 0x2, 0x3, 0x10), errnos(91),
            BSD_FCNTL);

    /**
     * The {@code fflags} bit of a returned {@code EVFILT_PROC} event that says {@code data} holds
     * the wait status: {@code NOTE_EXITSTATUS} on macOS (set only when it was asked for and
     * granted), {@code NOTE_EXIT} elsewhere (the BSDs always store the status with the exit).
     */
    public int exitStatusNote() {
        return notes.exitStatus() != 0 ? notes.exitStatus() : notes.exit();
    }

    @Override
    public String toString() {
        return "kqueue constants of " + os;
    }
}
