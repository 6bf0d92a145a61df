package io.kwait.tests.epoll;

import io.kwait.tests.SignalConformance;

class EpollSignalTest extends SignalConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
