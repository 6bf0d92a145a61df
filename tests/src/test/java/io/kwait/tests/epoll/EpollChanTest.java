package io.kwait.tests.epoll;

import io.kwait.tests.ChanConformance;

class EpollChanTest extends ChanConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
