package io.kwait.tests.epoll;

import io.kwait.tests.ScenarioConformance;

class EpollScenarioTest extends ScenarioConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
