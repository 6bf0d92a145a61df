package io.kwait.nativeio.kqueue;

import java.util.Locale;
import java.util.Set;

/**
 * One OS's kqueue as kwait drives it: the {@link KeventLayout} of {@code struct kevent} and the
 * {@link KqueueConstants}. {@link #detect} picks it from the JVM's {@code os.name},
 * {@code os.version} and {@code os.arch} at run time, never from how kwait was built, or says why
 * this OS is not supported.
 *
 * <p>Supported: macOS, FreeBSD 12+ (64-byte kevent), FreeBSD 11 and earlier (32-byte), OpenBSD
 * (32-byte; never run, neither on a real kernel nor simulated, see the notes in {@link KqueueBackend}).
 * Refused, with the reason: NetBSD (positive filter numbers, {@code uint32_t} filter and flags,
 * {@code size_t} counts and the renamed symbols {@code __kevent50}/{@code __kevent100}, for which
 * kwait has no binding), DragonFly BSD (never described), 32-bit JVMs (the layouts are LP64).
 *
 * @param name      for messages
 * @param layout    the struct layout
 * @param constants the numbers
 */
public record KqueuePlatform(String name, KeventLayout layout, KqueueConstants constants) {

    /** macOS, arm64 or x86-64. */
    public static final KqueuePlatform MACOS = new KqueuePlatform("macOS", KeventLayout.MACOS, KqueueConstants.MACOS);
    /** FreeBSD 12 and later. */
    public static final KqueuePlatform FREEBSD_12 = new KqueuePlatform("FreeBSD >= 12", KeventLayout.FREEBSD_12, KqueueConstants.FREEBSD);
    /** FreeBSD 11 and earlier. */
    public static final KqueuePlatform FREEBSD_11 = new KqueuePlatform("FreeBSD <= 11", KeventLayout.FREEBSD_11, KqueueConstants.FREEBSD);
    /** OpenBSD. */
    public static final KqueuePlatform OPENBSD = new KqueuePlatform("OpenBSD", KeventLayout.OPENBSD, KqueueConstants.OPENBSD);

    /** {@code os.arch} values of 64-bit (LP64) JVMs the layouts hold for. */
    private static final Set<String> LP64_ARCHES = Set.of("amd64", "x86_64", "aarch64", "arm64");

    /** What {@link #detect} found: a platform, or the reason there is none. */
    public record Detection(KqueuePlatform platform, String problem) {
        /** Whether a supported platform was found. */
        public boolean supported() { return platform != null; }
    }

    /** Detects the platform of this JVM. */
    public static Detection detect() {
        return detect(System.getProperty("os.name", "?"), System.getProperty("os.version", "?"),
                System.getProperty("os.arch", "?"));
    }

    /**
     * Detects the platform for the given system properties.
     *
     * @param osName    {@code os.name}, e.g. {@code "Mac OS X"}, {@code "FreeBSD"}
     * @param osVersion {@code os.version}, e.g. {@code "13.2-RELEASE"}
     * @param osArch    {@code os.arch}
     */
    public static Detection detect(String osName, String osVersion, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        KqueuePlatform platform;
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            platform = MACOS;
        } else if (os.startsWith("freebsd")) {
            int major = majorVersion(osVersion);
            if (major < 0) {
                return no("cannot tell the FreeBSD version from os.version '" + osVersion + "', and struct kevent"
                        + " differs between FreeBSD 11 (32 bytes) and 12+ (64 bytes); use -Dkwait.backend=select");
            }
            platform = major >= 12 ? FREEBSD_12 : FREEBSD_11;
        } else if (os.startsWith("openbsd")) {
            platform = OPENBSD;
        } else if (os.startsWith("netbsd")) {
            return no("NetBSD's kqueue is not supported: it numbers filters positively, declares filter and flags"
                    + " as uint32_t and the counts as size_t, and exports kevent as __kevent50 (NetBSD <= 10, 40-byte"
                    + " struct) or __kevent100 (NetBSD 11, 72 bytes); kwait has those layouts as data but no binding"
                    + " for the renamed symbols; use -Dkwait.backend=select");
        } else if (os.startsWith("dragonfly")) {
            return no("DragonFly BSD's kqueue is not described in kwait (its struct kevent and filter numbers were"
                    + " never checked); use -Dkwait.backend=select");
        } else if (os.startsWith("linux")) {
            return no("kqueue exists on macOS and the BSDs; this is Linux (use epoll)");
        } else {
            return no("kqueue exists on macOS and the BSDs; this is " + osName + "; use -Dkwait.backend=select");
        }
        if (!LP64_ARCHES.contains(osArch.toLowerCase(Locale.ROOT))) {
            return no("kwait's struct kevent layouts are those of 64-bit (LP64) systems; this JVM's architecture is "
                    + osArch + "; use -Dkwait.backend=select");
        }
        return new Detection(platform, null);
    }

    private static Detection no(String why) {
        return new Detection(null, why);
    }

    /** The leading number of a version string ({@code "13.2-RELEASE-p4"} gives 13), or -1. */
    static int majorVersion(String version) {
        int end = 0;
        while (end < version.length() && Character.isDigit(version.charAt(end))) end++;
        if (end == 0 || end > 6) return -1;
        return Integer.parseInt(version.substring(0, end));
    }

    @Override
    public String toString() {
        return name + " kqueue (" + layout.size() + "-byte struct kevent)";
    }
}
