package io.kwait.nativeio;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;

/**
 * The three JDK internals the native backends need, all in {@code sun.nio.ch}, which
 * {@code java.base} exports only to a few JDK modules:
 * <ul>
 *   <li>{@code SelChImpl.getFDVal()}: the fd number of a JDK channel (socket, server socket,
 *       datagram, pipe end). The JDK offers no public way to get it.</li>
 *   <li>{@code IOUtil.newFD(int)}: a {@link FileDescriptor} for an fd number, to hand the epoll fd
 *       to a JDK {@code Selector} ({@link SelectorBridge}).</li>
 *   <li>{@code DirectBuffer.address()}: the address of a direct buffer ({@link Memory}).</li>
 * </ul>
 * They are public methods of public types, so the package only needs to be <em>exported</em>
 * to kwait: {@value #ADD_EXPORTS_FLAG} on the class path, or {@code =io.kwait.nativeio} instead
 * of {@code =ALL-UNNAMED} on the module path. Without it {@link #reason()} says so and the
 * backends report themselves unavailable with that reason.
 */
public final class NioInternals {
    private NioInternals() {}

    /** The JVM flag kwait's native backends need (class path form). */
    public static final String ADD_EXPORTS_FLAG = "--add-exports java.base/sun.nio.ch=ALL-UNNAMED";

    private static final Class<?> SEL_CH_IMPL;
    private static final MethodHandle GET_FD_VAL;
    private static final MethodHandle NEW_FD;
    private static final MethodHandle ADDRESS;
    private static final String REASON;

    static {
        Class<?> selChImpl = null;
        MethodHandle getFdVal = null, newFd = null, address = null;
        String reason = null;
        Module me = NioInternals.class.getModule();
        String flag = me.isNamed() ? "--add-exports java.base/sun.nio.ch=" + me.getName() : ADD_EXPORTS_FLAG;
        if (!Object.class.getModule().isExported("sun.nio.ch", me)) {
            reason = "the JDK does not export sun.nio.ch to kwait, which needs it for the fd numbers of channels;"
                    + " run the JVM with " + flag + " (or use -Dkwait.backend=select)";
        } else {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                selChImpl = Class.forName("sun.nio.ch.SelChImpl");
                getFdVal = lookup.findVirtual(selChImpl, "getFDVal", MethodType.methodType(int.class))
                        .asType(MethodType.methodType(int.class, Object.class));
                newFd = lookup.findStatic(Class.forName("sun.nio.ch.IOUtil"), "newFD",
                        MethodType.methodType(FileDescriptor.class, int.class));
                address = lookup.findVirtual(Class.forName("sun.nio.ch.DirectBuffer"), "address", MethodType.methodType(long.class))
                        .asType(MethodType.methodType(long.class, Object.class));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                selChImpl = null;
                reason = "this JDK's sun.nio.ch lacks what kwait needs (" + e + "); the native backends support"
                        + " JDK 21 and later; use -Dkwait.backend=select";
            }
        }
        SEL_CH_IMPL = selChImpl;
        GET_FD_VAL = getFdVal;
        NEW_FD = newFd;
        ADDRESS = address;
        REASON = reason;
    }

    /** Why the internals cannot be used (naming the flag to add), or null when they can. */
    public static String reason() {
        return REASON;
    }

    private static void check() {
        if (REASON != null) throw new IllegalStateException(REASON);
    }

    /** Whether {@code channel} is one of the JDK's own channel implementations, whose fd we can read. */
    public static boolean isJdkChannel(SelectableChannel channel) {
        return SEL_CH_IMPL != null && SEL_CH_IMPL.isInstance(channel);
    }

    /**
     * The fd number of a JDK channel. The number stays what it was after the channel is closed
     * (the JDK may then have closed it, or dup2'd a dead socket over it).
     *
     * @throws IllegalArgumentException the channel is not a JDK one (another SelectorProvider)
     * @throws IllegalStateException    {@link #reason()} is not null
     */
    public static int fdOf(SelectableChannel channel) {
        check();
        if (!SEL_CH_IMPL.isInstance(channel)) {
            throw new IllegalArgumentException(channel.getClass().getName() + " is not a channel of the JDK's default"
                    + " SelectorProvider, so its file descriptor is unknown to kwait; create it with the default provider"
                    + " (SocketChannel.open() ...), or wait on it with the select backend");
        }
        try {
            return (int) GET_FD_VAL.invokeExact((Object) channel);
        } catch (Throwable t) {
            throw new IllegalStateException("reading the fd of " + channel + " failed", t);
        }
    }

    /** A {@link FileDescriptor} holding {@code fd}, with no cleaner: closing it stays the caller's job. */
    public static FileDescriptor fileDescriptorOf(int fd) {
        check();
        try {
            return (FileDescriptor) NEW_FD.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException("making a FileDescriptor for fd " + fd + " failed", t);
        }
    }

    /** The address of a direct buffer's memory. */
    public static long addressOf(ByteBuffer direct) {
        check();
        if (!direct.isDirect()) throw new IllegalArgumentException("not a direct buffer");
        try {
            return (long) ADDRESS.invokeExact((Object) direct);
        } catch (Throwable t) {
            throw new IllegalStateException("reading a direct buffer's address failed", t);
        }
    }
}
