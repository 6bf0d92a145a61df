package io.kwait.tests.kqueue;

import io.kwait.tests.KernelContractConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueKernelContractTest extends KernelContractConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
