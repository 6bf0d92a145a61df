package io.kwait.nativeio;

import io.kwait.spi.Interest;
import io.kwait.spi.Source;
import io.kwait.nativeio.spawn.PipeEnd;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The argument checks every native backend makes on a {@link Source} before it touches the OS,
 * written once: what interest fits which kind of source, and which fd number a source stands for.
 */
public final class SourceChecks {
    private SourceChecks() {}

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

    /** {@code "fd 41"} for a raw fd, {@code "channel ... (fd 41)"} for a channel: the number named once. */
    public static String describe(Source source, int fd) {
        return source.channel() == null ? source.toString() : source + " (fd " + fd + ")";
    }

    /**
     * The refusal of a regular file or directory, the same on every native backend: they are
     * always ready, so waiting on them means nothing.
     *
     * @param what  {@link #describe} of the source
     * @param cause what the OS said, e.g. {@code "epoll refuses them (EPERM)"}, or null
     */
    public static IllegalArgumentException alwaysReady(String what, String cause) {
        return new IllegalArgumentException(what + " is a regular file or directory, which is always ready for reading"
                + " and writing" + (cause == null ? "" : " (" + cause + ")") + ", so it cannot be waited on; read or"
                + " write it directly, or wait on a pipe, socket or other pollable fd");
    }

    /**
     * Refuses a raw fd that names a regular file or directory, for a kernel that would accept it
     * (kqueue reports such a file ready for ever). Looked up through {@code /dev/fd}; where that
     * does not tell (FreeBSD without fdescfs), the fd is let through.
     */
    public static void refuseFiles(Source source, int fd) {
        if (source.kind() != Source.Kind.FD) return; // channels are sockets and pipes
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(Path.of("/dev/fd/" + fd), BasicFileAttributes.class);
        } catch (IOException | RuntimeException unknown) {
            return;
        }
        if (a.isRegularFile() || a.isDirectory()) throw alwaysReady(describe(source, fd), null);
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
