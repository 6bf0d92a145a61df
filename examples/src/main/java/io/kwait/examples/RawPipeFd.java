package io.kwait.examples;

import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.spi.Capability;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A raw file descriptor on epoll (kqueue on macOS/BSD): {@link Event#readable(int)} waits on an fd
 * number, such as one a native library hands you, which NIO's Selector cannot do (the select
 * backend refuses it, naming the native ones). Here the fd is the read end of a JDK pipe, its
 * number read through {@code sun.nio.ch.SelChImpl.getFDVal()} (exported by the class-path flag
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}); the pipe keeps owning it.
 *
 * <pre>
 * mvn -q -Pexample -Dexample=RawPipeFd -pl examples -am verify -DskipTests
 * </pre>
 */
public final class RawPipeFd {
    private RawPipeFd() {}

    public static void main(String[] args) throws Exception {
        boolean linux = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux");
        try (Kernel kernel = Kernel.open(linux ? "epoll" : "kqueue")) { // an error with the reason if not available
            if (!kernel.capabilities().contains(Capability.RAW_FD)) throw new IllegalStateException(kernel.backendName() + " lacks raw fds");
            Pipe pipe = Pipe.open();
            try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
                source.configureBlocking(false);
                int fd = fdOf(source);
                Event readable = Event.readable(fd);
                System.out.println("waiting on raw fd " + fd + " on " + kernel.backendName());
                List<Fired> none = kernel.wait(List.of(readable), Duration.ofMillis(50));
                System.out.println("before a write: " + (none.isEmpty() ? "nothing fired (timeout)" : none));
                sink.write(StandardCharsets.UTF_8.encode("hello through fd " + fd));
                Fired f = kernel.wait(List.of(readable), Duration.ofSeconds(5)).get(0);
                ByteBuffer buf = ByteBuffer.allocate(64);
                source.read(buf);
                System.out.println("fired " + f.filter() + " with " + f.data() + " bytes ready; read \""
                        + new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8) + "\"");
            }
        }
    }

    /** The fd number behind a JDK channel; a JDK internal, hence reflection (javac --release cannot see it). */
    private static int fdOf(SelectableChannel channel) throws ReflectiveOperationException {
        return (int) Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal").invoke(channel);
    }
}
