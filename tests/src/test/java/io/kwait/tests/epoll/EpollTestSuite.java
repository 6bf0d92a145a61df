package io.kwait.tests.epoll;

/** Marker: the conformance suite's subclasses for the epoll backend live in this package. */
final class EpollTestSuite {
    static final String BACKEND = "epoll";

    private EpollTestSuite() {}
}
