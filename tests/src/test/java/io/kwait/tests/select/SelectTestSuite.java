package io.kwait.tests.select;

/** Marker: the conformance suite's subclasses for the select backend live in this package. */
final class SelectTestSuite {
    static final String BACKEND = "select";

    private SelectTestSuite() {}
}
