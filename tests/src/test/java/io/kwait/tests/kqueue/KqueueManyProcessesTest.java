package io.kwait.tests.kqueue;

import io.kwait.tests.ManyProcessesConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueManyProcessesTest extends ManyProcessesConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
