package io.kwait.tests.epoll;

import io.kwait.tests.ManyProcessesConformance;

class EpollManyProcessesTest extends ManyProcessesConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
