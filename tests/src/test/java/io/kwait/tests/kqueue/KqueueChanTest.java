package io.kwait.tests.kqueue;

import io.kwait.tests.ChanConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueChanTest extends ChanConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
