package io.kwait.nativeio.spawn;

import io.kwait.nativeio.binding.SpawnLibC;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.NioInternals;
import java.nio.charset.Charset;
import java.util.List;
import java.util.Map;

/**
 * Loads {@link SpawnLibC} once and holds the numbers spawning needs, those of the OS this JVM runs
 * on ({@link SpawnPlatform}: Linux with glibc, macOS, FreeBSD; the latter two read from their
 * headers, not verified on them). Elsewhere {@link #reason()} says why and children are started the
 * portable way.
 */
final class Posix {
    private Posix() {}

    private static final SpawnPlatform.Detection DETECTED = SpawnPlatform.detect();
    /** This OS's numbers; Linux's where none was detected (then {@link #reason()} is set and nothing is called). */
    static final SpawnPlatform PLATFORM = DETECTED.platform() != null ? DETECTED.platform() : SpawnPlatform.LINUX;

    static final int EINTR = PLATFORM.eintr(), EAGAIN = PLATFORM.eagain(), ECHILD = PLATFORM.echild(), EPIPE = PLATFORM.epipe();
    static final int O_RDONLY = 0, O_WRONLY = PLATFORM.oWronly(), O_CREAT = PLATFORM.oCreat(), O_TRUNC = PLATFORM.oTrunc(),
            O_APPEND = PLATFORM.oAppend();
    static final int O_NONBLOCK = PLATFORM.oNonblock(), O_CLOEXEC = PLATFORM.oCloexec();
    static final int F_SETFD = PLATFORM.fSetfd(), FD_CLOEXEC = PLATFORM.fdCloexec(), F_GETFL = PLATFORM.fGetfl(), F_SETFL = PLATFORM.fSetfl();
    static final int WNOHANG = PLATFORM.wnohang(), WEXITED = PLATFORM.wexited(), WNOWAIT = PLATFORM.wnowait(), P_PID = PLATFORM.pPid();
    static final short POSIX_SPAWN_SETSIGDEF = PLATFORM.setsigdef(), POSIX_SPAWN_SETSIGMASK = PLATFORM.setsigmask(),
            POSIX_SPAWN_CLOEXEC_DEFAULT = PLATFORM.cloexecDefault();
    /** Bytes allocated for posix_spawn_file_actions_t, posix_spawnattr_t and sigset_t (with slack). */
    static final int ACTIONS_SIZE = SpawnPlatform.allocation(PLATFORM.actionsSize()), ATTR_SIZE = SpawnPlatform.allocation(PLATFORM.attrSize()),
            SIGSET_SIZE = SpawnPlatform.allocation(PLATFORM.sigsetSize());

    /** Signal numbers by the names {@code io.kwait.Event.signal} knows. */
    static final Map<String, Integer> SIGNALS = PLATFORM.signals();

    private static final class Holder {
        static final LibCRuntime.Loaded<SpawnLibC> C = load();

        private static LibCRuntime.Loaded<SpawnLibC> load() {
            if (DETECTED.problem() != null) return LibCRuntime.Loaded.refused(DETECTED.problem());
            if (NioInternals.reason() != null) return LibCRuntime.Loaded.refused(NioInternals.reason());
            LibCRuntime.Loaded<SpawnLibC> c = LibCRuntime.load(SpawnLibC.class,
                    t -> "JNR could not bind posix_spawn from the C library (" + t + ")");
            if (c.library() != null && c.runtime().addressSize() != 8) return LibCRuntime.Loaded.refused("kwait's posix_spawn needs a 64-bit JVM");
            return c;
        }
    }

    /** Why children cannot be spawned natively here, or null. */
    static String reason() { return Holder.C.reason(); }

    static SpawnLibC libc() { return Holder.C.libraryOrThrow(); }

    static int errno() { return Holder.C.runtime().getLastError(); }

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
