package io.kwait.kqueue.sim;

import io.kwait.spi.Source;

import java.nio.channels.SelectableChannel;

/** The smallest concrete {@link Source}. */
final class TestSource extends Source {
    TestSource(SelectableChannel channel) {
        super(channel);
    }

    TestSource(Kind kind, long number) {
        super(kind, number);
    }
}
