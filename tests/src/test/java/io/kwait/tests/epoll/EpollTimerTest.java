package io.kwait.tests.epoll;

import io.kwait.tests.TimerConformance;

class EpollTimerTest extends TimerConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
