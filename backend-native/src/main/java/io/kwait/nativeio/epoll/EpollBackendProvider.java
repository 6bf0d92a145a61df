package io.kwait.nativeio.epoll;

import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.NioInternals;
import io.kwait.spi.Availability;
import io.kwait.spi.Backend;
import io.kwait.spi.BackendProvider;

import java.io.IOException;
import java.util.Locale;

/**
 * Makes the {@link EpollBackend} known to {@code Kernel.open()} through
 * {@link java.util.ServiceLoader}. Priority 10 on Linux: there it beats the portable select backend
 * (priority 0) whenever it is available. On other systems -1: never picked automatically, so the
 * fallback there does not mention a backend that could never run.
 *
 * <p>Available when all of these hold (probed once per JVM, lazily, the result cached), checked in
 * this order:
 * <ol>
 *   <li>the OS is Linux, on an architecture whose constants kwait checked ({@link Linux#VERIFIED_ARCHES});</li>
 *   <li>the JDK exports {@code sun.nio.ch} to kwait: JVM flag {@value NioInternals#ADD_EXPORTS_FLAG}
 *       (the fd numbers of channels live there). Checked before JNR is loaded, so a JVM that is
 *       going to fall back to select never loads jffi's native stub (JDK 24+ prints a four-line
 *       native-access warning when it does);</li>
 *   <li>JNR loads the C library;</li>
 *   <li>module {@code jdk.net} is present (for {@code jdk.nio.Channels});</li>
 *   <li>{@code epoll_create1} and {@code eventfd} work.</li>
 * </ol>
 * Otherwise {@link #availability()} names the first that fails and the way out; automatic
 * selection then takes the select backend, and {@code Kernel.open("epoll")} fails with that reason.
 */
public final class EpollBackendProvider implements BackendProvider {

    private static volatile String reason;
    private static volatile boolean probed;

    /** Public no-argument constructor, as {@link java.util.ServiceLoader} needs on the class path. */
    public EpollBackendProvider() {
    }

    @Override
    public String name() {
        return EpollBackend.NAME;
    }

    @Override
    public int priority() {
        return isLinux() ? 10 : -1;
    }

    private static boolean isLinux() {
        return System.getProperty("os.name", "?").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    @Override
    public Availability availability() {
        String p = reason();
        return p == null ? Availability.yes() : Availability.no(p);
    }

    @Override
    public Backend open() throws IOException {
        return new EpollBackend();
    }

    /** Why the epoll backend cannot run here, or null; probed once (a race probes twice, with one answer). */
    static String reason() {
        if (!probed) {
            reason = probe();
            probed = true;
        }
        return reason;
    }

    private static String probe() {
        if (!isLinux()) {
            return "epoll exists on Linux only (this is " + System.getProperty("os.name", "?")
                    + "); use the kqueue backend on macOS/BSD or select elsewhere";
        }
        String arch = System.getProperty("os.arch", "?");
        if (!Linux.constantsVerifiedFor(arch)) {
            return "kwait's Linux constants are not verified for architecture " + arch + " (verified: "
                    + Linux.VERIFIED_ARCHES + "); use -Dkwait.backend=select";
        }
        return LibCRuntime.probe("epoll", () -> {
            if (ModuleLayer.boot().findModule("jdk.net").isEmpty()) {
                return "module jdk.net (jdk.nio.Channels) is missing from this runtime; add it to the jlink image"
                        + " (--add-modules jdk.net) or use -Dkwait.backend=select";
            }
            LibC libc = LibCRuntime.libc();
            int ep = libc.epoll_create1(Linux.EPOLL_CLOEXEC);
            if (ep < 0) return "epoll_create1 failed: " + LibCRuntime.describe(LibCRuntime.errno()) + "; use -Dkwait.backend=select";
            libc.close(ep);
            int efd = libc.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
            if (efd < 0) return "eventfd failed: " + LibCRuntime.describe(LibCRuntime.errno()) + "; use -Dkwait.backend=select";
            libc.close(efd);
            return null;
        });
    }

    @Override
    public String toString() {
        return "EpollBackendProvider[epoll, priority " + priority() + "]";
    }
}
