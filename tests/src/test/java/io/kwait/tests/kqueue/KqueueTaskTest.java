package io.kwait.tests.kqueue;

import io.kwait.tests.TaskConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueTaskTest extends TaskConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
