package io.kwait.tests.kqueuesim;

import io.kwait.tests.TimerConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimFreebsdTimerTest extends TimerConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.FREEBSD; }
}
