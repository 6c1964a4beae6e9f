package io.reactivesmtp.reactor;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An MX host for TLS-level tests on loopback: any number of connections and lock-step transactions, STARTTLS
 * with a given certificate (or none offered, or a handshake that breaks: non-TLS bytes answer the client's
 * hello), and a record of each message delivered and whether its connection was encrypted.
 */
final class StartTlsMxServer implements AutoCloseable {

    /** What STARTTLS does. */
    enum Tls { OFFERED, NOT_OFFERED, BROKEN }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final SslContext context;
    private final Tls tls;
    /** Per message delivered, in order: whether it came over TLS. */
    final List<Boolean> delivered = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    /** MAIL commands received, delivered or not. */
    final AtomicInteger mailCommands = new AtomicInteger();

    private StartTlsMxServer(SslContext context, Tls tls) throws InterruptedException {
        this.context = context;
        this.tls = tls;
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast("lines", new LineBasedFrameDecoder(8192))
                                .addLast("decoder", new StringDecoder(StandardCharsets.US_ASCII))
                                .addLast("encoder", new StringEncoder(StandardCharsets.US_ASCII))
                                .addLast("smtp", new Smtp());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** @return a server offering STARTTLS with this server context */
    static StartTlsMxServer offering(SslContext context) throws InterruptedException {
        return new StartTlsMxServer(context, Tls.OFFERED);
    }

    /** @return a server that does not offer STARTTLS */
    static StartTlsMxServer plaintextOnly() throws InterruptedException {
        return new StartTlsMxServer(null, Tls.NOT_OFFERED);
    }

    /** @return a server that offers STARTTLS, says 220, and answers the client's hello with bytes that are not TLS */
    static StartTlsMxServer brokenHandshake() throws InterruptedException {
        return new StartTlsMxServer(null, Tls.BROKEN);
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Smtp extends SimpleChannelInboundHandler<String> {
        private boolean encrypted;
        private boolean inData;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush("220 mx.example.test ESMTP\r\n");
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            if (inData) {
                if (line.equals(".") || line.equals(".\r")) {
                    inData = false;
                    delivered.add(encrypted);
                    ctx.writeAndFlush("250 2.0.0 queued\r\n");
                }
                return;
            }
            String verb = line.trim().toUpperCase(java.util.Locale.ROOT);
            if (verb.startsWith("EHLO")) {
                boolean offer = tls != Tls.NOT_OFFERED && !encrypted;
                ctx.writeAndFlush(offer ? "250-mx.example.test\r\n250 STARTTLS\r\n" : "250 mx.example.test\r\n");
            } else if (verb.equals("STARTTLS")) {
                startTls(ctx);
            } else if (verb.startsWith("MAIL")) {
                mailCommands.incrementAndGet();
                ctx.writeAndFlush("250 2.1.0 ok\r\n");
            } else if (verb.startsWith("RCPT") || verb.equals("RSET") || verb.equals("NOOP")) {
                ctx.writeAndFlush("250 ok\r\n");
            } else if (verb.equals("DATA")) {
                inData = true;
                ctx.writeAndFlush("354 go\r\n");
            } else if (verb.equals("QUIT")) {
                ctx.writeAndFlush("221 bye\r\n").addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush("500 5.5.1 unknown\r\n");
            }
        }

        private void startTls(ChannelHandlerContext ctx) {
            // The 220 goes out in plaintext before the TLS handler is there.
            ctx.writeAndFlush("220 2.0.0 ready\r\n");
            if (tls == Tls.BROKEN) {
                ctx.pipeline().remove("lines");
                ctx.pipeline().remove("decoder");
                ctx.pipeline().replace(this, "broken", new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext c, ByteBuf hello) {
                        c.writeAndFlush(Unpooled.copiedBuffer("this is not TLS at all\r\n", StandardCharsets.US_ASCII))
                                .addListener(ChannelFutureListener.CLOSE);
                    }
                });
                return;
            }
            SslHandler ssl = context.newHandler(ctx.alloc());
            ctx.pipeline().addFirst("tls", ssl);
            ssl.handshakeFuture().addListener(f -> encrypted = f.isSuccess());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a client that refused our certificate, mostly
        }
    }
}
