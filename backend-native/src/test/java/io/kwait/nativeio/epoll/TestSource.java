package io.kwait.nativeio.epoll;

import io.kwait.spi.Source;

import java.nio.channels.SelectableChannel;

/** The smallest concrete {@link Source}: the core's subclass adds bookkeeping the backend never sees. */
final class TestSource extends Source {
    TestSource(SelectableChannel channel) {
        super(channel);
    }

    TestSource(Kind kind, long number) {
        super(kind, number);
    }
}
