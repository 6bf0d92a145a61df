package io.kwait.tests.kqueuesim;

import io.kwait.tests.ManyProcessesConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimFreebsdManyProcessesTest extends ManyProcessesConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.FREEBSD; }
}
