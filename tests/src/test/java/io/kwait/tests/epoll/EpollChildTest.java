package io.kwait.tests.epoll;

import io.kwait.tests.ChildConformance;

class EpollChildTest extends ChildConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
