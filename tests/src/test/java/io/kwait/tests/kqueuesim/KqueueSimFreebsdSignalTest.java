package io.kwait.tests.kqueuesim;

import io.kwait.tests.SignalConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimFreebsdSignalTest extends SignalConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.FREEBSD; }
}
