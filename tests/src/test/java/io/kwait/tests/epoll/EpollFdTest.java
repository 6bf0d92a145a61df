package io.kwait.tests.epoll;

import io.kwait.tests.FdConformance;

class EpollFdTest extends FdConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
