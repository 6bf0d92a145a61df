package io.kwait.tests.epoll;

import io.kwait.tests.KernelContractConformance;

class EpollKernelContractTest extends KernelContractConformance {
    @Override
    protected String backend() { return EpollTestSuite.BACKEND; }
}
