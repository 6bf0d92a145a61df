package io.kwait.tests.kqueue;

import io.kwait.tests.ChildConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueChildTest extends ChildConformance {
    @BeforeAll
    static void whereKqueueRuns() { KqueueTestSuite.assumeAvailable(); }

    @Override
    protected String backend() { return KqueueTestSuite.BACKEND; }
}
