package io.kwait.tests.kqueue;

import io.kwait.tests.TimerConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueTimerTest extends TimerConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
