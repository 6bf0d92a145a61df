package io.kwait.tests.select;

import io.kwait.tests.ChildConformance;

class SelectChildTest extends ChildConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
