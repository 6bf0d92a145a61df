package io.kwait.tests.select;

import io.kwait.tests.SignalConformance;

class SelectSignalTest extends SignalConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
