package io.kwait.tests.kqueuesim;

import io.kwait.tests.TaskConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimFreebsdTaskTest extends TaskConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.FREEBSD; }
}
