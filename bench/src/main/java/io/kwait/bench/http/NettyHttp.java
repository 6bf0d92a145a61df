package io.kwait.bench.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;

/**
 * The scenario's Netty server: native epoll, one event loop that accepts and serves every
 * connection, the same {@link Requests} scanner over each read, answers written from one shared
 * buffer and flushed once per read burst ({@code channelReadComplete}), as a Netty handler does.
 */
public final class NettyHttp {
    private NettyHttp() {}

    /** Netty 4.2's own version string, for the figure's label. */
    public static String version() {
        return io.netty.util.Version.identify().getOrDefault("netty-transport-native-epoll",
                io.netty.util.Version.identify().values().iterator().next()).artifactVersion();
    }

    private static final ByteBuf ANSWERS = Unpooled.unreleasableBuffer(Unpooled.directBuffer(Requests.RESPONSE.length * Requests.BATCH)
            .writeBytes(Requests.responses()));

    static final class Handler extends ChannelInboundHandlerAdapter {
        private final Requests requests = new Requests();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            int n;
            try {
                n = requests.feed(in.nioBuffer());
            } finally {
                in.release();
            }
            if (n < 0) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(Requests.BAD)).addListener(f -> ctx.close());
                return;
            }
            while (n > 0) {
                int batch = Math.min(n, Requests.BATCH);
                ctx.write(ANSWERS.slice(0, batch * Requests.RESPONSE.length), ctx.voidPromise());
                n -= batch;
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset client: this connection ends
        }
    }

    /** Gives every accepted connection its own handler (and so its own scanner). */
    static final class PerConnection extends ChannelInitializer<SocketChannel> {
        @Override
        protected void initChannel(SocketChannel c) {
            c.pipeline().addLast(new Handler());
        }
    }

    /** Binds and starts serving; returns the port. The loop's thread keeps the JVM alive. */
    static int start() throws InterruptedException {
        if (!Epoll.isAvailable()) throw new IllegalStateException("Netty native epoll is not available: " + Epoll.unavailabilityCause());
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        var ch = new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, HttpServer.BACKLOG).childOption(ChannelOption.TCP_NODELAY, true).childHandler(new PerConnection())
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }
}
