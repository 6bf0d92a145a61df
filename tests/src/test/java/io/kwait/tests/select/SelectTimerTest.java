package io.kwait.tests.select;

import io.kwait.tests.TimerConformance;

class SelectTimerTest extends TimerConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
