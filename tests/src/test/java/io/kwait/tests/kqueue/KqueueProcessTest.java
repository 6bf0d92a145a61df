package io.kwait.tests.kqueue;

import io.kwait.tests.ProcessConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueProcessTest extends ProcessConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
