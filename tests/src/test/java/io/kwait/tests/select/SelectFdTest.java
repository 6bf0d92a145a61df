package io.kwait.tests.select;

import io.kwait.tests.FdConformance;

class SelectFdTest extends FdConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
