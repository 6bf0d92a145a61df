package io.kwait.testkit;

import io.kwait.spi.Source;

import java.nio.channels.SelectableChannel;

/** The smallest concrete {@link Source}: what the core would register, without the core. */
public final class TestSource extends Source {
    /** A channel source. */
    public TestSource(SelectableChannel channel) {
        super(channel);
    }

    /** A raw fd ({@link Source.Kind#FD}) or process ({@link Source.Kind#PROCESS}) source. */
    public TestSource(Kind kind, long number) {
        super(kind, number);
    }

    /** Marks {@code interest} bits as fired, as the core does once every waiter for them has been woken. */
    public void markFired(int interest) {
        setFired(interest);
    }
}
