package io.kwait.kqueue.sim;

import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.NioInternals;
import io.kwait.nativeio.kqueue.KqueueBackend;
import io.kwait.nativeio.kqueue.KqueuePlatform;
import io.kwait.spi.Availability;
import io.kwait.spi.Backend;
import io.kwait.spi.BackendProvider;

import java.io.IOException;
import java.util.Locale;

/**
 * Base of the providers of {@link KqueueBackend} on a {@link SimulatedKqueue}: a test fixture, on
 * the class path of kwait's own tests only (this module is never installed or deployed), never
 * chosen by {@code Kernel.open()} on its own (negative priority: a test asks for it by name), and
 * available on Linux only.
 */
abstract class KqueueSimProvider implements BackendProvider {

    private final String name;
    private final KqueuePlatform platform;

    KqueueSimProvider(String name, KqueuePlatform platform) {
        this.name = name;
        this.platform = platform;
    }

    @Override
    public final String name() {
        return name;
    }

    /** Negative: the core never picks a simulation by itself. */
    @Override
    public final int priority() {
        return -1;
    }

    @Override
    public final Availability availability() {
        String p = problem();
        return p == null ? Availability.yes() : Availability.no(p);
    }

    private static String problem() {
        String os = System.getProperty("os.name", "?");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "the kqueue simulation runs on Linux only (it is built on epoll and pidfds); this is " + os
                    + ", use the real kqueue backend where there is one";
        }
        String libcProblem = LibCRuntime.reason();
        if (libcProblem != null) return libcProblem;
        String jdkProblem = NioInternals.reason();
        if (jdkProblem != null) return jdkProblem;
        return null;
    }

    @Override
    public final Backend open() throws IOException {
        String p = problem();
        if (p != null) throw new IllegalStateException("backend " + name + " is not available here: " + p);
        return new KqueueBackend(name, new SimulatedKqueue(platform));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", priority -1]";
    }
}
