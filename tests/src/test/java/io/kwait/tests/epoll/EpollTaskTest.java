package io.kwait.tests.epoll;

import io.kwait.tests.TaskConformance;

class EpollTaskTest extends TaskConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
