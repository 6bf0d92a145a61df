package io.kwait.tests.kqueuesim;

import io.kwait.tests.KernelContractConformance;
import org.junit.jupiter.api.BeforeAll;

class KqueueSimMacosKernelContractTest extends KernelContractConformance {
    @BeforeAll
    static void onLinux() { KqueueSimTestSuite.assumeLinux(); }

    @Override
    protected String backend() { return KqueueSimTestSuite.MACOS; }
}
