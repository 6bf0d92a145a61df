package io.kwait.tests.kqueuesim;

import io.kwait.tests.TaskConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimMacosTaskTest extends TaskConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.MACOS; }
}
