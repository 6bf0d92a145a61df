package io.kwait.tests.kqueuesim;

import io.kwait.tests.ProcessConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimFreebsdProcessTest extends ProcessConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.FREEBSD; }
}
