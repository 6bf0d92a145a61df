package io.kwait.tests.kqueue;

import io.kwait.tests.ScenarioConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueScenarioTest extends ScenarioConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
