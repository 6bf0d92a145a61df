package io.kwait.tests.select;

import io.kwait.tests.ProcessConformance;

class SelectProcessTest extends ProcessConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
