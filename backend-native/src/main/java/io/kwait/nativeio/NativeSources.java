package io.kwait.nativeio;

import io.kwait.spi.Interest;
import io.kwait.spi.Source;
import io.kwait.nativeio.spawn.PipeEnd;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;

/**
 * The argument checks every native backend makes on a {@link Source} before it touches the OS,
 * written once: what interest fits which kind of source, and which fd number a source stands for.
 */
public final class NativeSources {
    private NativeSources() {}

    /** Refuses an interest that does not fit the source's kind. */
    public static void checkInterest(Source source, int interest) {
        if (source.kind() == Source.Kind.PROCESS) {
            if ((interest & ~Interest.EXIT) != 0) {
                throw new IllegalArgumentException("interest " + Interest.toString(interest) + " does not fit " + source
                        + ": a process can be watched for EXIT only");
            }
        } else if ((interest & ~(Interest.READ | Interest.WRITE)) != 0) {
            throw new IllegalArgumentException("interest " + Interest.toString(interest) + " does not fit " + source
                    + ": a file descriptor can be watched for READ and WRITE only (EXIT applies to process sources)");
        }
    }

    /**
     * The fd number to watch for a channel or raw-fd source.
     *
     * @throws ClosedChannelException   the channel is closed (a resource error)
     * @throws IllegalArgumentException a blocking channel, an op the channel cannot do, a negative fd
     */
    public static int fdToWatch(Source source, int interest) throws IOException {
        SelectableChannel channel = source.channel();
        int fd;
        if (channel != null) {
            if (!channel.isOpen()) throw new ClosedChannelException();
            if (channel.isBlocking()) {
                throw new IllegalArgumentException(channel + " is in blocking mode; call configureBlocking(false)"
                        + " before waiting on it");
            }
            checkValidOps(channel, interest);
            // A child's pipe end made by kwait (io.kwait.nativeio.spawn) knows its fd; JDK channels are asked.
            fd = channel instanceof PipeEnd p ? p.fdValue() : NioInternals.fdOf(channel);
        } else {
            fd = source.fd();
        }
        if (fd < 0) throw new IllegalArgumentException("negative fd " + fd + " for " + source);
        return fd;
    }

    private static void checkValidOps(SelectableChannel channel, int interest) {
        int valid = channel.validOps();
        if ((interest & Interest.READ) != 0 && (valid & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) == 0) {
            throw new IllegalArgumentException(channel + " cannot be read from; watch it for WRITE, or use the other end");
        }
        if ((interest & Interest.WRITE) != 0 && (valid & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) == 0) {
            throw new IllegalArgumentException(channel + " cannot be written to; watch it for READ, or use the other end");
        }
    }
}
