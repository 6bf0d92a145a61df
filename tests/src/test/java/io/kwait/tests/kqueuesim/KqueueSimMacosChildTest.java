package io.kwait.tests.kqueuesim;

import io.kwait.tests.ChildConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimMacosChildTest extends ChildConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.MACOS; }
}
