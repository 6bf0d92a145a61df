package io.kwait.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 3b peer: Netty native epoll echo over one loopback connection, client and server each
 * on its own one-thread event loop. A batch of n round trips runs inside the client's loop; the
 * harness thread only starts it and waits for its end (one hop each way per batch).
 */
public final class NettyEcho {
    private NettyEcho() {}

    static final class Client extends ChannelInboundHandlerAdapter {
        final int size;
        final ByteBuf msg;
        int target, done, got;
        long t0;
        CompletableFuture<Long> batch;
        ChannelHandlerContext ctx;

        Client(int size) {
            this.size = size;
            byte[] b = new byte[size];
            for (int i = 0; i < size; i++) b[i] = (byte) i;
            this.msg = Unpooled.unreleasableBuffer(Unpooled.directBuffer(size).writeBytes(b));
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        void start(int n, CompletableFuture<Long> f) { // on the event loop
            target = n;
            done = 0;
            got = 0;
            batch = f;
            t0 = System.nanoTime();
            ctx.writeAndFlush(msg.duplicate());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object m) {
            ByteBuf in = (ByteBuf) m;
            got += in.readableBytes();
            in.release();
            if (got < size) return;
            got -= size;
            if (++done < target) {
                ctx.writeAndFlush(msg.duplicate());
            } else {
                batch.complete(System.nanoTime() - t0);
            }
        }
    }

    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object m) {
            ctx.writeAndFlush(m);
        }
    }

    public static List<Row> run(Args a) throws Exception {
        int size = a.integer("size", 1);
        if (!Epoll.isAvailable()) {
            return List.of(new Row("3b", "netty-" + size, "Netty native epoll echo", "peer", "", "ns/RT", "skip", new double[0])
                    .put("reason", String.valueOf(Epoll.unavailabilityCause())));
        }
        Batches b = a.batches();
        EventLoopGroup serverGroup = new EpollEventLoopGroup(1);
        EventLoopGroup clientGroup = new EpollEventLoopGroup(1);
        try {
            Channel server = new ServerBootstrap().group(serverGroup).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new Echo());
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            Client client = new Client(size);
            Channel ch = new Bootstrap().group(clientGroup).channel(EpollSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(client)
                    .connect(server.localAddress()).sync().channel();
            while (client.ctx == null) Thread.onSpinWait();
            double[] r = b.measure(n -> {
                CompletableFuture<Long> f = new CompletableFuture<>();
                ch.eventLoop().execute(() -> client.start(n, f));
                return f.get(60, TimeUnit.SECONDS);
            });
            ch.close().sync();
            server.close().sync();
            String label = "Netty " + io.netty.util.Version.identify().getOrDefault("netty-transport-native-epoll",
                    io.netty.util.Version.identify().values().iterator().next()).artifactVersion()
                    + " native epoll echo, 2 event loops, " + (size >= 1024 ? size / 1024 + " KiB" : size + " B");
            return List.of(new Row("3b", "netty-" + size, label, "peer", "", "ns/RT", "batch", r).put("size", size));
        } finally {
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
