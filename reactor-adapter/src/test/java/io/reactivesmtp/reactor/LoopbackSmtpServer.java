package io.reactivesmtp.reactor;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A small SMTP server on loopback that, unlike the scripted server, loops: any number of transactions per
 * connection, any number of connections. It counts connections, transactions, QUITs and the peak of concurrent
 * transactions, and can greet with another code, hold the reply to the final dot, answer 421 to a recipient,
 * drop a reused connection at MAIL, or close idle connections.
 */
final class LoopbackSmtpServer implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final String greeting;
    private final Duration dataDelay;
    private final boolean dropSecondMailOnFirstConnection;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger messages = new AtomicInteger();
    final AtomicInteger quits = new AtomicInteger();
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger peakActive = new AtomicInteger();
    private final Set<Handler> open = ConcurrentHashMap.newKeySet();

    private LoopbackSmtpServer(String host, int port, String greeting, Duration dataDelay, boolean dropSecondMail) {
        this.greeting = greeting;
        this.dataDelay = dataDelay;
        this.dropSecondMailOnFirstConnection = dropSecondMail;
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LineBasedFrameDecoder(8192),
                                new StringDecoder(StandardCharsets.UTF_8), new StringEncoder(StandardCharsets.UTF_8),
                                new Handler(connections.incrementAndGet()));
                    }
                })
                .bind(new InetSocketAddress(host, port)).syncUninterruptibly().channel();
    }

    static LoopbackSmtpServer start() {
        return builder().start();
    }

    static Builder builder() {
        return new Builder();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    int openConnections() {
        return open.size();
    }

    /** Closes every connection that is between transactions, as a server does after its idle timeout. */
    void closeIdleConnections() {
        open.stream().filter(h -> !h.inTransaction).forEach(h -> h.ctx.close());
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        open.forEach(h -> h.ctx.close());
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    static final class Builder {
        private String host = "127.0.0.1";
        private int port;
        private String greeting = "220 loopback.test ESMTP";
        private Duration dataDelay = Duration.ZERO;
        private boolean dropSecondMail;

        Builder bind(String host, int port) {
            this.host = host;
            this.port = port;
            return this;
        }

        Builder greeting(String greeting) {
            this.greeting = greeting;
            return this;
        }

        Builder dataDelay(Duration delay) {
            this.dataDelay = delay;
            return this;
        }

        Builder dropSecondMailOnFirstConnection() {
            this.dropSecondMail = true;
            return this;
        }

        LoopbackSmtpServer start() {
            return new LoopbackSmtpServer(host, port, greeting, dataDelay, dropSecondMail);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<String> {
        private final int number;
        ChannelHandlerContext ctx;
        volatile boolean inTransaction;
        private boolean inData;
        private int mails;

        Handler(int number) {
            this.number = number;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            open.add(this);
            ctx.writeAndFlush(greeting + "\r\n");
            if (!greeting.startsWith("220")) {
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.remove(this);
            if (inTransaction) {
                active.decrementAndGet();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String raw) {
            String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (inData) {
                if (line.equals(".")) {
                    inData = false;
                    Runnable finish = () -> {
                        messages.incrementAndGet();
                        active.decrementAndGet();
                        inTransaction = false;
                        ctx.writeAndFlush("250 2.0.0 queued\r\n");
                    };
                    if (dataDelay.isZero()) {
                        finish.run();
                    } else {
                        ctx.executor().schedule(finish, dataDelay.toMillis(), TimeUnit.MILLISECONDS);
                    }
                }
                return;
            }
            String upper = line.toUpperCase();
            if (upper.startsWith("EHLO")) {
                ctx.writeAndFlush("250-loopback.test\r\n250 PIPELINING\r\n");
            } else if (upper.startsWith("MAIL")) {
                mails++;
                if (dropSecondMailOnFirstConnection && number == 1 && mails == 2) {
                    ctx.close();
                    return;
                }
                inTransaction = true;
                peakActive.accumulateAndGet(active.incrementAndGet(), Math::max);
                ctx.write("250 ok\r\n");
            } else if (upper.startsWith("RCPT")) {
                if (upper.contains("TEMPFAIL421")) {
                    ctx.writeAndFlush("421 4.3.0 closing\r\n");
                    ctx.close();
                } else if (upper.contains("REJECT")) {
                    ctx.write("550 5.1.1 no such user\r\n");
                } else {
                    ctx.write("250 ok\r\n");
                }
            } else if (upper.equals("DATA")) {
                inData = true;
                ctx.writeAndFlush("354 go\r\n");
            } else if (upper.equals("RSET") || upper.equals("NOOP")) {
                ctx.writeAndFlush("250 ok\r\n");
            } else if (upper.equals("QUIT")) {
                quits.incrementAndGet();
                ctx.writeAndFlush("221 bye\r\n").addListener(f -> ctx.close());
            } else {
                ctx.writeAndFlush("500 5.5.1 unknown\r\n");
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
