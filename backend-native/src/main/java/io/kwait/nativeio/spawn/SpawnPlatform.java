package io.kwait.nativeio.spawn;

import io.kwait.nativeio.epoll.Linux;
import java.util.Locale;
import java.util.Map;

/**
 * The numbers spawning a child needs on one OS, as data (as {@code KqueueConstants} holds
 * kqueue's): errno values, {@code open}/{@code fcntl} flags, {@code waitpid}/{@code waitid}
 * options, {@code posix_spawnattr_setflags} bits, the sizes of the opaque spawn types, what the C
 * library offers, and the signal numbers. {@link #detect} picks one from the JVM's {@code os.name}
 * at run time. Nothing in the spawn code hard-codes one of these.
 *
 * <p>Sources: Linux: the kernel's uapi headers (asm-generic/errno-base.h, asm-generic/fcntl.h,
 * linux/wait.h, asm-generic/signal.h) and glibc's posix/spawn.h and bits/types (sizes on x86-64
 * and aarch64). macOS: xnu bsd/sys/{errno,fcntl,wait,signal,spawn}.h and Libc's spawn.h
 * ({@code posix_spawn_file_actions_t} and {@code posix_spawnattr_t} are pointers; {@code sigset_t}
 * is a {@code uint32_t}). FreeBSD: sys/sys/{errno,fcntl,wait,signal}.h and include/spawn.h
 * (pointers too; {@code sigset_t} is four {@code uint32_t}). Only the Linux values run on this
 * project's machines; the macOS and FreeBSD ones are read from the headers and not verified on
 * those systems.
 *
 * @param name          for messages
 * @param eintr         {@code EINTR}
 * @param eagain        {@code EAGAIN}
 * @param echild        {@code ECHILD}
 * @param epipe         {@code EPIPE}
 * @param oWronly       {@code O_WRONLY} ({@code O_RDONLY} is 0 everywhere)
 * @param oCreat        {@code O_CREAT}
 * @param oTrunc        {@code O_TRUNC}
 * @param oAppend       {@code O_APPEND}
 * @param oNonblock     {@code O_NONBLOCK}
 * @param oCloexec      {@code O_CLOEXEC}
 * @param fSetfd        {@code F_SETFD}
 * @param fdCloexec     {@code FD_CLOEXEC}
 * @param fGetfl        {@code F_GETFL}
 * @param fSetfl        {@code F_SETFL}
 * @param wnohang       {@code WNOHANG}
 * @param wexited       {@code WEXITED}
 * @param wnowait       {@code WNOWAIT}
 * @param pPid          {@code P_PID} of {@code idtype_t}
 * @param setsigdef     {@code POSIX_SPAWN_SETSIGDEF}
 * @param setsigmask    {@code POSIX_SPAWN_SETSIGMASK}
 * @param cloexecDefault {@code POSIX_SPAWN_CLOEXEC_DEFAULT} (macOS: every fd without a file action is
 *                      closed at exec), 0 where the OS has none
 * @param actionsSize   {@code sizeof(posix_spawn_file_actions_t)}
 * @param attrSize      {@code sizeof(posix_spawnattr_t)}
 * @param sigsetSize    {@code sizeof(sigset_t)}
 * @param hasPipe2      whether the C library has {@code pipe2} (macOS has not)
 * @param fdDirectory   where the open fds are listed, for the fallback of {@code addclosefrom_np}
 * @param signals       signal numbers by the names {@code io.kwait.Event.signal} knows
 */
public record SpawnPlatform(String name, int eintr, int eagain, int echild, int epipe,
                            int oWronly, int oCreat, int oTrunc, int oAppend, int oNonblock, int oCloexec,
                            int fSetfd, int fdCloexec, int fGetfl, int fSetfl,
                            int wnohang, int wexited, int wnowait, int pPid,
                            short setsigdef, short setsigmask, short cloexecDefault,
                            int actionsSize, int attrSize, int sigsetSize,
                            boolean hasPipe2, String fdDirectory, Map<String, Integer> signals) {

    /** Signals 1–15 (and KILL) are the same on Linux and the BSDs; the rest differ. */
    private static Map<String, Integer> signals(Map<String, Integer> rest) {
        java.util.HashMap<String, Integer> m = new java.util.HashMap<>(rest);
        m.putAll(Map.of("HUP", 1, "INT", 2, "QUIT", 3, "ILL", 4, "TRAP", 5, "ABRT", 6, "FPE", 8, "KILL", 9,
                "SEGV", 11, "PIPE", 13));
        m.putAll(Map.of("ALRM", 14, "TERM", 15));
        return Map.copyOf(m);
    }

    /** The BSD numbering from 16 up (4.4BSD; macOS and FreeBSD agree). */
    private static final Map<String, Integer> BSD_SIGNALS = signals(Map.ofEntries(
            Map.entry("EMT", 7), Map.entry("BUS", 10), Map.entry("SYS", 12), Map.entry("URG", 16),
            Map.entry("STOP", 17), Map.entry("TSTP", 18), Map.entry("CONT", 19), Map.entry("CHLD", 20),
            Map.entry("TTIN", 21), Map.entry("TTOU", 22), Map.entry("IO", 23), Map.entry("XCPU", 24),
            Map.entry("XFSZ", 25), Map.entry("VTALRM", 26), Map.entry("PROF", 27), Map.entry("WINCH", 28),
            Map.entry("INFO", 29), Map.entry("USR1", 30), Map.entry("USR2", 31)));

    /** Linux with glibc (x86-64, aarch64: the architectures of {@link Linux#VERIFIED_ARCHES}). */
    public static final SpawnPlatform LINUX = new SpawnPlatform("Linux",
            Linux.EINTR, Linux.EAGAIN, Linux.ECHILD, 32,
            1, 0x40, 0x200, 0x400, Linux.O_NONBLOCK, Linux.O_CLOEXEC,
            2, 1, 3, 4,
            Linux.WNOHANG, Linux.WEXITED, Linux.WNOWAIT, Linux.P_PID,
            (short) 0x04, (short) 0x08, (short) 0,
            80, 336, 128,
            true, "/proc/self/fd",
            signals(Map.ofEntries(
                    Map.entry("BUS", 7), Map.entry("USR1", 10), Map.entry("USR2", 12), Map.entry("CHLD", 17),
                    Map.entry("CONT", 18), Map.entry("STOP", 19), Map.entry("TSTP", 20), Map.entry("TTIN", 21),
                    Map.entry("TTOU", 22), Map.entry("URG", 23), Map.entry("XCPU", 24), Map.entry("XFSZ", 25),
                    Map.entry("VTALRM", 26), Map.entry("PROF", 27), Map.entry("WINCH", 28), Map.entry("IO", 29),
                    Map.entry("PWR", 30), Map.entry("SYS", 31))));

    /** macOS (arm64, x86-64). Not verified on macOS: the values are the headers'. */
    public static final SpawnPlatform MACOS = bsd("macOS", 0x01000000, 0x04, 0x20, 1, 0x04, 0x08, 0x4000, 4, false);

    /** FreeBSD 13.1+ (for {@code addchdir_np}, {@code addclosefrom_np}). Not verified on FreeBSD: the values are the headers'. */
    public static final SpawnPlatform FREEBSD = bsd("FreeBSD", 0x00100000, 16, 8, 0, 0x10, 0x20, 0, 16, true);

    /**
     * What macOS and FreeBSD agree on, written once: errno 4/35/10/32, O_WRONLY/O_CREAT/O_TRUNC/O_APPEND/
     * O_NONBLOCK 1/0x200/0x400/0x8/0x4, F_SETFD/FD_CLOEXEC/F_GETFL/F_SETFL 2/1/3/4, WNOHANG 1, pointer-sized
     * spawn types, /dev/fd, the BSD signal numbers.
     */
    private static SpawnPlatform bsd(String name, int oCloexec, int wexited, int wnowait, int pPid, int setsigdef,
                                     int setsigmask, int cloexecDefault, int sigsetSize, boolean hasPipe2) {
        return new SpawnPlatform(name, 4, 35, 10, 32, 1, 0x200, 0x400, 0x8, 0x4, oCloexec, 2, 1, 3, 4,
                1, wexited, wnowait, pPid, (short) setsigdef, (short) setsigmask, (short) cloexecDefault,
                8, 8, sigsetSize, hasPipe2, "/dev/fd", BSD_SIGNALS);
    }

    /** What {@link #detect} found: a platform, or why there is none. */
    public record Detection(SpawnPlatform platform, String problem) {}

    /** The platform of this JVM. */
    public static Detection detect() {
        return detect(System.getProperty("os.name", "?"), System.getProperty("os.arch", "?"));
    }

    /** The platform for these {@code os.name} and {@code os.arch} values. */
    public static Detection detect(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        if (os.contains("linux")) {
            if (!Linux.constantsVerifiedFor(arch)) {
                return new Detection(null, "kwait's Linux constants are not verified for " + osArch);
            }
            return new Detection(LINUX, null);
        }
        SpawnPlatform p = os.startsWith("mac") || os.startsWith("darwin") ? MACOS : os.startsWith("freebsd") ? FREEBSD : null;
        if (p == null) {
            return new Detection(null, "kwait's posix_spawn knows the constants of Linux, macOS and FreeBSD only (this is "
                    + osName + "); children are started the portable way");
        }
        if (!Set64.ARCHES.contains(arch)) {
            return new Detection(null, "kwait's posix_spawn on " + p.name() + " assumes a 64-bit JVM; this one is " + osArch);
        }
        return new Detection(p, null);
    }

    private static final class Set64 {
        static final java.util.Set<String> ARCHES = java.util.Set.of("amd64", "x86_64", "aarch64", "arm64");
    }

    /** Bytes to allocate for an opaque spawn type of {@code size} bytes: twice it, against a C library whose struct grew. */
    static int allocation(int size) {
        return Math.max(64, size * 2);
    }
}
