package io.kwait.tests.select;

import io.kwait.tests.TaskConformance;

class SelectTaskTest extends TaskConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
