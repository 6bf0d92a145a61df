package io.kwait.tests.kqueuesim;

import io.kwait.tests.ChanConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimMacosChanTest extends ChanConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.MACOS; }
}
