package io.kwait.nativeio;

import io.kwait.spi.Interest;
import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

/**
 * One source's hold on a native backend: its interest and the {@link Descriptor} it shares with
 * the other sources on the same kernel object. It is what {@link Source#backendState()} holds. An
 * owner with no descriptor is either a process that had exited before it could be watched (a
 * <em>pending exit</em>, reported by the next poll) or one whose descriptor's number the backend
 * had to take for itself (the epoll backend's pidfds); it starts over on its next registration.
 */
public final class Owner {
    final DescriptorTable<?> table;
    private final Source source;
    int interest;
    Descriptor descriptor;
    boolean pendingExit;

    Owner(DescriptorTable<?> table, Source source, int interest) {
        this.table = table;
        this.source = source;
        this.interest = interest;
    }

    /** The source. */
    public Source source() {
        return source;
    }

    /** The interest bits ({@link Interest}). */
    public int interest() {
        return interest;
    }

    /** Changes the interest bits; the backend brings the kernel in line. */
    public void setInterest(int interest) {
        this.interest = interest;
    }

    /** The descriptor, or null (see the class comment). */
    public Descriptor descriptor() {
        return descriptor;
    }

    /** Whether this is a process that had exited before it could be watched. */
    public boolean isPendingExit() {
        return pendingExit;
    }

    /** Whether this is a channel source whose channel is closed. */
    public boolean isClosedChannel() {
        return source.channel() != null && !source.channel().isOpen();
    }

    /**
     * Reports readiness of an fd source. One call when a single filter is ready or both agree;
     * READ and WRITE in two calls when their flags differ or READ carries a byte count, because
     * each Fired carries its own filter's data and flags (a WRITE never the READ byte count, nor
     * the READ side's end of stream). The WRITE call is skipped if the sink dropped it meanwhile.
     *
     * @return the number of sink calls made
     */
    public int report(ReadySink sink, int ready, int readFlags, int writeFlags, long bytes) {
        boolean both = ready == (Interest.READ | Interest.WRITE);
        if (!both) {
            boolean read = ready == Interest.READ;
            sink.ready(source, ready, read ? readFlags : writeFlags, read ? bytes : 0, null);
            return 1;
        }
        if (readFlags == writeFlags && bytes == 0) {
            sink.ready(source, ready, readFlags, 0, null);
            return 1;
        }
        Descriptor d = descriptor;
        sink.ready(source, Interest.READ, readFlags, bytes, null);
        if (descriptor != d || source.backendState() != this || (interest & Interest.WRITE) == 0) return 1;
        sink.ready(source, Interest.WRITE, writeFlags, 0, null);
        return 2;
    }

    @Override
    public String toString() {
        return "the " + table.name() + " backend's hold on " + source + " for " + Interest.toString(interest);
    }
}
