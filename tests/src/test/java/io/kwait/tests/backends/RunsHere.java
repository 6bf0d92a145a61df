package io.kwait.tests.backends;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.Kernel;
import java.util.Locale;

/**
 * The checks that skip a binding class where it cannot run, each called from the class's
 * {@code @BeforeAll} (the binding classes are generated: see {@code tests/src/build/BindingClasses.java}).
 * A binding without one is left to {@code ConformanceBase.belongsHere}.
 */
final class RunsHere {
    private RunsHere() {}

    /** The kqueue simulation is built on Linux's epoll and pidfds, so it runs on Linux only. */
    static void linux() {
        String os = System.getProperty("os.name", "?");
        assumeTrue(os.toLowerCase(Locale.ROOT).startsWith("linux"), "the kqueue simulation runs on Linux only; this is " + os);
    }

    /** The backend is installed and available here (the real kqueue: macOS, FreeBSD, OpenBSD), else its reason. */
    static void available(String backend) {
        Kernel.BackendInfo info = Kernel.backends().stream().filter(b -> b.name().equals(backend)).findFirst().orElse(null);
        assumeTrue(info != null, "no " + backend + " backend installed: " + Kernel.backends());
        assumeTrue(info.available(), "the " + backend + " backend is not available here: " + info.reason());
    }
}
