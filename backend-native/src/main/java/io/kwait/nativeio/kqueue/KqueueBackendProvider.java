package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.NioInternals;
import io.kwait.spi.Availability;
import io.kwait.spi.Backend;
import io.kwait.spi.BackendProvider;

import java.io.IOException;

/**
 * Makes the real {@link KqueueBackend} known to {@code Kernel.open()} through
 * {@link java.util.ServiceLoader}. Priority 10 where {@link KqueuePlatform#detect()} finds a
 * supported platform: there it beats the portable select backend (priority 0) whenever it is
 * available. Elsewhere -1: never picked automatically (on Linux, epoll is the native backend).
 *
 * <p>Available when all of these hold (probed once per JVM, lazily, the result cached), checked in
 * this order:
 * <ol>
 *   <li>the OS is one {@link KqueuePlatform#detect()} supports: macOS, FreeBSD, OpenBSD, on a
 *       64-bit JVM (on Linux the reason names epoll and the simulation);</li>
 *   <li>the JDK exports {@code sun.nio.ch} to kwait: JVM flag {@value NioInternals#ADD_EXPORTS_FLAG}
 *       (the fd numbers of channels live there); checked before JNR is loaded, so a JVM that
 *       falls back to select never loads jffi's native stub;</li>
 *   <li>JNR loads the C library;</li>
 *   <li>{@code kqueue()} works.</li>
 * </ol>
 * Otherwise {@link #availability()} names the first that fails and the way out.
 */
public final class KqueueBackendProvider implements BackendProvider {

    private static volatile String reason;
    private static volatile KqueuePlatform platform;
    private static volatile boolean probed;

    /** Public no-argument constructor, as {@link java.util.ServiceLoader} needs on the class path. */
    public KqueueBackendProvider() {
    }

    @Override
    public String name() {
        return KqueueBackend.NAME;
    }

    @Override
    public int priority() {
        return KqueuePlatform.detect().supported() ? 10 : -1;
    }

    @Override
    public Availability availability() {
        probe();
        String p = reason;
        return p == null ? Availability.yes() : Availability.no(p);
    }

    @Override
    public Backend open() throws IOException {
        probe();
        if (reason != null) throw new IllegalStateException("the kqueue backend is not available here: " + reason);
        return new KqueueBackend(KqueueBackend.NAME, new LibCKqueueBinding(platform));
    }

    /** Probes once (a race probes twice, with one answer). */
    private static void probe() {
        if (probed) return;
        KqueuePlatform.Detection d = KqueuePlatform.detect();
        String why = d.problem();
        if (why == null) why = probeNative(d.platform());
        platform = d.platform();
        reason = why;
        probed = true;
    }

    private static String probeNative(KqueuePlatform p) {
        return LibCRuntime.probe("kqueue", () -> {
            LibCKqueueBinding binding = new LibCKqueueBinding(p);
            int kq = binding.kqueue();
            if (kq < 0) {
                int err = binding.errno();
                return "kqueue() failed: " + binding.strerror(err) + " (errno " + err + "); use -Dkwait.backend=select";
            }
            binding.close(kq);
            return null;
        });
    }

    @Override
    public String toString() {
        return "KqueueBackendProvider[kqueue, priority " + priority() + "]";
    }
}
