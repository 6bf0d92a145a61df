package io.kwait.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** Loopback TCP helpers. */
public final class Net {
    private Net() {}

    /** A connected loopback TCP pair, TCP_NODELAY on both ends, non-blocking. */
    public record Pair(SocketChannel a, SocketChannel b) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            a.close();
            b.close();
        }
    }

    public static Pair pair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            for (SocketChannel c : new SocketChannel[] {a, b}) {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                c.configureBlocking(false);
            }
            return new Pair(a, b);
        }
    }

    public static ByteBuffer message(int size) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) b.put((byte) i);
        b.flip();
        return b;
    }

    public static void eof() throws EOFException {
        throw new EOFException("peer closed the connection");
    }
}
