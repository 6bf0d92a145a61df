package io.kwait.tests.kqueue;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.Kernel;

/**
 * Marker: the conformance suite's subclasses for the real kqueue backend live in this package.
 * They run where the backend is available (macOS, FreeBSD, OpenBSD, with the JVM flags of the
 * build) and are skipped elsewhere, with the backend's reason: on Linux kqueue is verified only
 * through the simulation ({@code io.kwait.tests.kqueuesim}). On a Mac or a BSD box:
 * {@code mvn -B -ntp verify -Dtest='io.kwait.tests.kqueue.**' -Dsurefire.failIfNoSpecifiedTests=false}.
 */
final class KqueueTestSuite {
    static final String BACKEND = "kqueue";

    private KqueueTestSuite() {}

    static void assumeAvailable() {
        Kernel.BackendInfo info = Kernel.backends().stream().filter(b -> b.name().equals(BACKEND)).findFirst().orElse(null);
        assumeTrue(info != null, "no kqueue backend installed: " + Kernel.backends());
        assumeTrue(info.available(), "the kqueue backend is not available here: " + info.reason());
    }
}
