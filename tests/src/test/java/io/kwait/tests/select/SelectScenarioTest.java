package io.kwait.tests.select;

import io.kwait.tests.ScenarioConformance;

class SelectScenarioTest extends ScenarioConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
