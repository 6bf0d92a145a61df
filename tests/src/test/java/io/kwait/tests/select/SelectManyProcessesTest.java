package io.kwait.tests.select;

import io.kwait.tests.ManyProcessesConformance;

class SelectManyProcessesTest extends ManyProcessesConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
