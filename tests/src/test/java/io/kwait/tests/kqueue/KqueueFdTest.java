package io.kwait.tests.kqueue;

import io.kwait.tests.FdConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueFdTest extends FdConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
