package io.kwait.nativeio.spawn;

import io.kwait.nativeio.binding.SpawnLibC;
import io.kwait.nativeio.epoll.Linux;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.NioInternals;
import java.nio.charset.Charset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Runtime;

/**
 * Loads {@link SpawnLibC} once and holds the constants spawning needs. Only Linux (glibc) values
 * are here, checked against the kernel's and glibc's headers for the architectures of
 * {@link Linux#VERIFIED_ARCHES}; on macOS and the BSDs {@link #reason()} says so and children are
 * started the portable way.
 */
final class Posix {
    private Posix() {}

    static final int EINTR = Linux.EINTR, EAGAIN = Linux.EAGAIN, ECHILD = Linux.ECHILD, ESRCH = Linux.ESRCH;
    static final int EPIPE = 32;
    static final int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_TRUNC = 0x200, O_APPEND = 0x400;
    static final int O_NONBLOCK = Linux.O_NONBLOCK, O_CLOEXEC = Linux.O_CLOEXEC;
    static final int F_GETFL = 3, F_SETFL = 4;
    static final int WNOHANG = Linux.WNOHANG, WEXITED = Linux.WEXITED, WNOWAIT = Linux.WNOWAIT, P_PID = Linux.P_PID;
    /** glibc's posix_spawnattr flags. */
    static final short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    /** Upper bounds of glibc's sizeof(posix_spawn_file_actions_t) (80), sizeof(posix_spawnattr_t) (336), sizeof(sigset_t) (128). */
    static final int ACTIONS_SIZE = 256, ATTR_SIZE = 512, SIGSET_SIZE = 256;

    /** Linux signal numbers (x86 and asm-generic agree), by the names {@code io.kwait.Event.signal} knows. */
    static final Map<String, Integer> SIGNALS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4), Map.entry("TRAP", 5),
            Map.entry("ABRT", 6), Map.entry("BUS", 7), Map.entry("FPE", 8), Map.entry("KILL", 9), Map.entry("USR1", 10),
            Map.entry("SEGV", 11), Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15),
            Map.entry("CHLD", 17), Map.entry("CONT", 18), Map.entry("STOP", 19), Map.entry("TSTP", 20), Map.entry("TTIN", 21),
            Map.entry("TTOU", 22), Map.entry("URG", 23), Map.entry("XCPU", 24), Map.entry("XFSZ", 25), Map.entry("VTALRM", 26),
            Map.entry("PROF", 27), Map.entry("WINCH", 28), Map.entry("IO", 29), Map.entry("PWR", 30), Map.entry("SYS", 31));

    private static final class Holder {
        static final SpawnLibC LIBC;
        static final Runtime RUNTIME;
        static final String REASON;

        static {
            SpawnLibC libc = null;
            Runtime rt = null;
            String reason = null;
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            if (!os.contains("linux")) {
                reason = "kwait's posix_spawn knows the constants of Linux only (this is " + System.getProperty("os.name") + ")";
            } else if (!Linux.constantsVerifiedFor(System.getProperty("os.arch"))) {
                reason = "kwait's Linux constants are not verified for " + System.getProperty("os.arch");
            } else if (NioInternals.reason() != null) {
                reason = NioInternals.reason();
            } else {
                try {
                    if (System.getProperty("jffi.unsafe.disabled") == null) System.setProperty("jffi.unsafe.disabled", "true");
                    libc = LibraryLoader.create(SpawnLibC.class).load(Platform.getNativePlatform().getStandardCLibraryName());
                    rt = Runtime.getRuntime(libc);
                    if (rt.addressSize() != 8) reason = "kwait's posix_spawn needs a 64-bit JVM";
                } catch (Throwable t) {
                    reason = "JNR could not bind posix_spawn from the C library (" + t + ")";
                }
            }
            LIBC = reason == null ? libc : null;
            RUNTIME = rt;
            REASON = reason;
        }
    }

    /** Why children cannot be spawned natively here, or null. */
    static String reason() { return Holder.REASON; }

    static SpawnLibC libc() {
        SpawnLibC c = Holder.LIBC;
        if (c == null) throw new IllegalStateException(Holder.REASON);
        return c;
    }

    static int errno() { return Holder.RUNTIME.getLastError(); }

    /** {@code "error=2, No such file or directory"}, the JDK's wording in ProcessBuilder.start's messages. */
    static String describe(int errno) {
        String text = null;
        try {
            text = libc().strerror(errno);
        } catch (RuntimeException | LinkageError ignored) {
            // the number alone still says it
        }
        return "error=" + errno + ", " + (text == null ? "unknown error" : text);
    }

    /** The charset the JDK uses for file names and command lines ({@code sun.jnu.encoding}). */
    static final Charset JNU = charset();

    private static Charset charset() {
        String name = System.getProperty("sun.jnu.encoding", System.getProperty("native.encoding", "UTF-8"));
        try {
            return Charset.forName(name);
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }

    /** A NUL-terminated C string in native memory (keep the buffer while C uses it). */
    static Memory cString(String s) {
        byte[] b = s.getBytes(JNU);
        for (byte x : b) {
            if (x == 0) throw new IllegalArgumentException("a NUL character in \"" + s.replace("\0", "\\0") + "\"");
        }
        Memory buf = new Memory(b.length + 1);
        buf.bytes.put(0, b);
        return buf;
    }

    /** A NULL-terminated array of C strings ({@code char *const argv[]}); {@code keep} holds the strings' memory. */
    static Memory cStringArray(List<String> strings, List<Memory> keep) {
        Memory array = new Memory((strings.size() + 1) * 8);
        for (int i = 0; i < strings.size(); i++) {
            Memory s = cString(strings.get(i));
            keep.add(s);
            array.bytes.putLong(i * 8, s.address);
        }
        array.bytes.putLong(strings.size() * 8, 0L);
        return array;
    }
}
