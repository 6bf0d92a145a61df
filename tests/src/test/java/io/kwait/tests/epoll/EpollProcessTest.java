package io.kwait.tests.epoll;

import io.kwait.tests.ProcessConformance;

class EpollProcessTest extends ProcessConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
