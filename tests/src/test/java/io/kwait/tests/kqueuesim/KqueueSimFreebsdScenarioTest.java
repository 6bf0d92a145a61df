package io.kwait.tests.kqueuesim;

import io.kwait.tests.ScenarioConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimFreebsdScenarioTest extends ScenarioConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.FREEBSD; }
}
