package io.kwait.tests.kqueue;

import io.kwait.tests.SignalConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSignalTest extends SignalConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
