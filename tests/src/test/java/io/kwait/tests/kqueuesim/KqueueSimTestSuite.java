package io.kwait.tests.kqueuesim;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;

/**
 * Marker: the conformance suite's subclasses for the kqueue backend on the simulated kqueue live
 * in this package, twice: with macOS's layout and semantics, and with FreeBSD 12+'s. The
 * simulation (module kqueue-sim, on this suite's test class path only) is built on Linux's epoll
 * and pidfds, so off Linux these classes are skipped.
 */
final class KqueueSimTestSuite {
    static final String MACOS = "kqueue-sim-macos";
    static final String FREEBSD = "kqueue-sim-freebsd";

    private KqueueSimTestSuite() {}

    static void assumeLinux() {
        String os = System.getProperty("os.name", "?");
        assumeTrue(os.toLowerCase(Locale.ROOT).startsWith("linux"), "the kqueue simulation runs on Linux only; this is " + os);
    }
}
