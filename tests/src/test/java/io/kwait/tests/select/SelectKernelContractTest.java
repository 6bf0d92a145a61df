package io.kwait.tests.select;

import io.kwait.tests.KernelContractConformance;

class SelectKernelContractTest extends KernelContractConformance {
    @Override
    protected String backend() { return SelectTestSuite.BACKEND; }
}
