package io.reactivesmtp.benchmarks;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.string.StringEncoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An SMTP sink that defends itself as receiving providers do, for the pacing benchmark ({@code run-pacing.sh}):
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.ThrottlingServer PORT
 *     [--max-connections N] [--max-rate MSGS_PER_S]
 * </pre>
 * With {@code --max-connections N} a client (all of loopback is one client) holds at most N connections: beyond, the
 * greeting is {@code 421 4.7.0 too many connections from your address} and the connection is closed. With
 * {@code --max-rate R}, a MAIL command beyond R per second (a token bucket of R/10 at most, at least 1) is answered
 * {@code 421 4.7.0 rate limit exceeded, slow down} and the connection is closed. Everything else is accepted and
 * discarded (PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES; no TLS). It prints {@code listening port=PORT} when ready and,
 * on TERM, one line of counts: {@code connections=.. refused_greetings=.. refused_mails=.. delivered=..}, and one of
 * when the refusals came, in milliseconds from the first connection: {@code refusal_times_ms=t1,t2,..} (the first 200).
 */
public final class ThrottlingServer {

    private final int maxConnections;
    private final double maxRate;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong refusedGreetings = new AtomicLong();
    private final AtomicLong refusedMails = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    /** Milliseconds from the first connection to each refusal (the first {@link #TIMES_KEPT}). */
    private final java.util.List<Long> refusalTimes = new java.util.ArrayList<>();
    private static final int TIMES_KEPT = 200;
    private volatile long firstConnection;
    private int open;
    private double tokens;
    private long refilled = System.nanoTime();

    private ThrottlingServer(int maxConnections, double maxRate) {
        this.maxConnections = maxConnections;
        this.maxRate = maxRate;
        this.tokens = burst();
    }

    private double burst() {
        return Math.max(1, maxRate / 10);
    }

    /** @return whether a connection may be admitted (then it is counted open) */
    private synchronized boolean admit() {
        if (maxConnections > 0 && open >= maxConnections) {
            return false;
        }
        open++;
        return true;
    }

    private synchronized void closed() {
        open--;
    }

    /** @return whether a message may start now (a token taken) */
    private synchronized boolean takeToken() {
        if (maxRate <= 0) {
            return true;
        }
        long now = System.nanoTime();
        tokens = Math.min(burst(), tokens + (now - refilled) / 1e9 * maxRate);
        refilled = now;
        if (tokens < 1) {
            return false;
        }
        tokens--;
        return true;
    }

    private synchronized void refusedAt() {
        if (refusalTimes.size() < TIMES_KEPT) {
            refusalTimes.add((System.nanoTime() - firstConnection) / 1_000_000);
        }
    }

    private synchronized String refusalTimes() {
        return "refusal_times_ms=" + refusalTimes.stream().map(String::valueOf)
                .collect(java.util.stream.Collectors.joining(","));
    }

    private String counts() {
        return "connections=" + connections + " refused_greetings=" + refusedGreetings + " refused_mails="
                + refusedMails + " delivered=" + delivered;
    }

    /** One connection's SMTP conversation. */
    private final class Session extends SimpleChannelInboundHandler<ByteBuf> {
        private boolean admitted;
        private boolean inData;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (connections.incrementAndGet() == 1) {
                firstConnection = System.nanoTime();
            }
            admitted = admit();
            if (!admitted) {
                refusedGreetings.incrementAndGet();
                refusedAt();
                ctx.writeAndFlush("421 4.7.0 too many connections from your address\r\n")
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.writeAndFlush("220 throttle.test ESMTP\r\n");
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (admitted) {
                closed();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            if (!admitted || !ctx.channel().isActive()) {
                return;
            }
            if (inData) {
                if (line.readableBytes() == 1 && line.getByte(line.readerIndex()) == '.') {
                    inData = false;
                    delivered.incrementAndGet();
                    ctx.write("250 2.0.0 queued\r\n");
                }
                return;
            }
            String cmd = line.toString(StandardCharsets.US_ASCII);
            String verb = (cmd.length() >= 4 ? cmd.substring(0, 4) : cmd).toUpperCase(Locale.ROOT);
            switch (verb) {
                case "EHLO" -> ctx.write("250-throttle.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                        + "250 ENHANCEDSTATUSCODES\r\n");
                case "HELO" -> ctx.write("250 throttle.test\r\n");
                case "MAIL" -> {
                    if (takeToken()) {
                        ctx.write("250 2.1.0 ok\r\n");
                    } else {
                        refusedMails.incrementAndGet();
                        refusedAt();
                        ctx.writeAndFlush("421 4.7.0 rate limit exceeded, slow down\r\n")
                                .addListener(ChannelFutureListener.CLOSE);
                    }
                }
                case "RCPT" -> ctx.write("250 2.1.5 ok\r\n");
                case "DATA" -> {
                    inData = true;
                    ctx.write("354 go ahead\r\n");
                }
                case "RSET", "NOOP" -> ctx.write("250 2.0.0 ok\r\n");
                case "QUIT" -> ctx.writeAndFlush("221 2.0.0 bye\r\n").addListener(ChannelFutureListener.CLOSE);
                default -> ctx.write("500 5.5.2 unknown command\r\n");
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

    /**
     * @param args PORT [--max-connections N] [--max-rate MSGS_PER_S]
     * @throws InterruptedException when interrupted while serving
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1) {
            System.err.println("usage: ThrottlingServer PORT [--max-connections N] [--max-rate MSGS_PER_S]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int maxConnections = 0;
        double maxRate = 0;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--max-connections" -> maxConnections = Integer.parseInt(args[++i]);
                case "--max-rate" -> maxRate = Double.parseDouble(args[++i]);
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        ThrottlingServer server = new ThrottlingServer(maxConnections, maxRate);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Channel channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LineBasedFrameDecoder(64 * 1024),
                                new StringEncoder(StandardCharsets.US_ASCII), server.new Session());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println(server.counts());
            System.out.println(server.refusalTimes());
            System.out.flush();
            group.shutdownGracefully();
        }));
        System.out.println("listening port=" + port);
        System.out.flush();
        channel.closeFuture().sync();
    }
}
