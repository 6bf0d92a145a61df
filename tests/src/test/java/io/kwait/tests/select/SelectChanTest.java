package io.kwait.tests.select;

import io.kwait.tests.ChanConformance;

class SelectChanTest extends ChanConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
