package io.kwait.tests.kqueuesim;

import io.kwait.tests.ScenarioConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimMacosScenarioTest extends ScenarioConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.MACOS; }
}
