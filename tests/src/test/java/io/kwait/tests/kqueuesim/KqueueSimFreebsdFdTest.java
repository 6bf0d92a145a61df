package io.kwait.tests.kqueuesim;

import io.kwait.tests.FdConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimFreebsdFdTest extends FdConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.FREEBSD; }
}
