package io.reactivesmtp.reactor;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A small SMTP server on loopback that, unlike the scripted server, loops: any number of transactions per
 * connection, any number of connections. It counts connections, transactions, QUITs and the peak of concurrent
 * transactions, and can greet late or with another code, hold the reply to the final dot, answer 421 to a recipient
 * (then close, or keep the connection open and record what the client still sends on it), drop a reused
 * connection at MAIL, or close idle connections.
 *
 * <p>For load tests, many servers can share one event loop group ({@link Builder#group}), count into one
 * {@link Gauge} ({@link Builder#gauge}) and hold every final-dot reply until a signal ({@link Builder#holdFinalReply}),
 * so that all sessions are provably open at once.
 */
final class LoopbackSmtpServer implements AutoCloseable {

    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Channel server;
    private final String greeting;
    private final Duration dataDelay;
    private final Duration greetingDelay;
    private final boolean dropSecondMailOnFirstConnection;
    private final boolean keepOpenAfter421;
    /** Per connection number: every line the client sent on it after the server's 421 (with keepOpenAfter421). */
    private final Map<Integer, List<String>> linesAfter421 = new ConcurrentHashMap<>();
    private final CompletionStage<?> holdFinalReply;
    private final Duration maxHold;
    private final Gauge gauge;
    private final int maxRecipients;
    /** Connections admitted at once at most (beyond: 421 4.7.0 at the greeting, then close); 0 for no bound. */
    volatile int maxConnections;
    /** Every n-th MAIL command (over all connections) is answered 421 4.7.0 and its connection closed; 0 for none. */
    volatile int refuseMailEvery;
    private final AtomicInteger allMails = new AtomicInteger();
    /** Every MAIL command received, on any connection. */
    final AtomicInteger mailCommands = new AtomicInteger();
    /** MAIL commands refused because of {@link #refuseMailEvery}. */
    final AtomicInteger refusedMails = new AtomicInteger();
    /** One connection in n (at random, seeded) is refused with 421 4.7.0 at the greeting; 0 for none. */
    volatile int refuseEvery;
    private final java.util.Random refusals = new java.util.Random(22);
    private final AtomicInteger admitted = new AtomicInteger();
    /** Connections refused with 421 at the greeting because {@link #maxConnections} were open. */
    final AtomicInteger refusedConnections = new AtomicInteger();
    /** RCPT commands answered {@code 452 4.5.3 too many recipients}. */
    final AtomicInteger tooManyRecipients = new AtomicInteger();
    /** Per completed transaction, in order: how many recipients it delivered to. */
    final List<Integer> recipientsPerMessage = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    /** Every recipient a completed transaction delivered to (a repeat is a duplicate delivery). */
    final List<String> delivered = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger messages = new AtomicInteger();
    final AtomicInteger quits = new AtomicInteger();
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger peakActive = new AtomicInteger();
    /** Connections accepted whose EHLO has not come yet: the connects the client has in progress, as seen here. */
    final AtomicInteger settingUp = new AtomicInteger();
    final AtomicInteger peakSettingUp = new AtomicInteger();
    /** MAIL commands that arrived while the previous message's final reply was still due (pipelined behind it). */
    final AtomicInteger mailsBehindEndOfData = new AtomicInteger();
    private final Set<Handler> open = ConcurrentHashMap.newKeySet();

    private LoopbackSmtpServer(Builder b) {
        this.greeting = b.greeting;
        this.dataDelay = b.dataDelay;
        this.greetingDelay = b.greetingDelay;
        this.dropSecondMailOnFirstConnection = b.dropSecondMail;
        this.keepOpenAfter421 = b.keepOpenAfter421;
        this.holdFinalReply = b.holdFinalReply;
        this.maxHold = b.maxHold;
        this.gauge = b.gauge;
        this.maxRecipients = b.maxRecipients;
        this.maxConnections = b.maxConnections;
        this.ownsGroup = b.group == null;
        this.group = ownsGroup ? new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()) : b.group;
        ChannelFuture bound = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LineBasedFrameDecoder(8192),
                                new StringDecoder(StandardCharsets.UTF_8), new StringEncoder(StandardCharsets.UTF_8),
                                new Handler(connections.incrementAndGet()));
                    }
                })
                .bind(new InetSocketAddress(b.host, b.port)).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            if (ownsGroup) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            throw new IllegalStateException("cannot bind " + b.host + ":" + b.port + ": " + bound.cause(),
                    bound.cause());
        }
        this.server = bound.channel();
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

    /**
     * @param connection the connection's number, 1 for the first one accepted
     * @return the lines the client sent on it after the server answered 421 (keepOpenAfter421), in order; empty if
     *     it never got a 421
     */
    List<String> linesAfter421(int connection) {
        List<String> lines = linesAfter421.get(connection);
        if (lines == null) {
            return List.of();
        }
        synchronized (lines) {
            return List.copyOf(lines);
        }
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
        if (ownsGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Counters shared by many servers: open connections and held final-dot replies, now and at the peak. */
    static final class Gauge {
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger peakOpen = new AtomicInteger();
        final AtomicInteger held = new AtomicInteger();
        final AtomicInteger peakHeld = new AtomicInteger();

        void opened() {
            peakOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        }

        void closed() {
            open.decrementAndGet();
        }

        void holding() {
            peakHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
        }

        void released() {
            held.decrementAndGet();
        }
    }

    static final class Builder {
        private String host = "127.0.0.1";
        private int port;
        private String greeting = "220 loopback.test ESMTP";
        private Duration dataDelay = Duration.ZERO;
        private Duration greetingDelay = Duration.ZERO;
        private boolean dropSecondMail;
        private boolean keepOpenAfter421;
        private EventLoopGroup group;
        private CompletionStage<?> holdFinalReply;
        private Duration maxHold;
        private Gauge gauge;
        private int maxRecipients = -1;
        private int maxConnections;

        /** Admits at most {@code n} connections at once; beyond, {@code 421 4.7.0} at the greeting and close. */
        Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        /**
         * Answers {@code 452 4.5.3 too many recipients} to every RCPT of a transaction beyond the first {@code n}
         * (0: to every RCPT).
         */
        Builder maxRecipientsPerTransaction(int n) {
            this.maxRecipients = n;
            return this;
        }

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

        /** Greets each connection only after this delay, so that connections being set up overlap. */
        Builder greetingDelay(Duration delay) {
            this.greetingDelay = delay;
            return this;
        }

        Builder dropSecondMailOnFirstConnection() {
            this.dropSecondMail = true;
            return this;
        }

        /**
         * After a 421 (to a recipient containing TEMPFAIL421) the server keeps the connection open, answers nothing
         * more and records every line the client still sends on it ({@link #linesAfter421}): whether the client
         * closes such a connection itself, rather than relying on the server's close, becomes visible.
         */
        Builder keepOpenAfter421() {
            this.keepOpenAfter421 = true;
            return this;
        }

        /** Runs on this group (shared by many servers) instead of a thread of its own; close() leaves it running. */
        Builder group(EventLoopGroup group) {
            this.group = group;
            return this;
        }

        /**
         * Holds the reply to every final dot until {@code release} completes, or {@code max} passed (then the reply
         * goes out anyway, so a test that never releases cannot hang its client). Applies after any dataDelay.
         */
        Builder holdFinalReply(CompletionStage<?> release, Duration max) {
            this.holdFinalReply = release;
            this.maxHold = max;
            return this;
        }

        /** Also counts open connections and held replies into this gauge, which many servers may share. */
        Builder gauge(Gauge gauge) {
            this.gauge = gauge;
            return this;
        }

        LoopbackSmtpServer start() {
            return new LoopbackSmtpServer(this);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<String> {
        private final int number;
        ChannelHandlerContext ctx;
        volatile boolean inTransaction;
        private boolean inData;
        /** Its MAIL was refused (refuseMailEvery): it is closing. */
        private boolean refusedMail;
        /** Refused at the greeting (maxConnections): counted nowhere else. */
        private boolean refused;
        /** Counted in {@code admitted}. */
        private boolean counted;
        /** The recipients accepted in the current transaction. */
        private final List<String> txRecipients = new java.util.ArrayList<>();
        private boolean finalReplyDue;
        private final java.util.ArrayDeque<String> deferred = new java.util.ArrayDeque<>();
        private int mails;
        private boolean greeted;

        Handler(int number) {
            this.number = number;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            int max = maxConnections;
            int every = refuseEvery;
            boolean overloaded = every > 0 && refusals.nextInt(every) == 0;
            if (overloaded || max > 0 && admitted.incrementAndGet() > max) {
                if (!overloaded) {
                    admitted.decrementAndGet();
                }
                refusedConnections.incrementAndGet();
                refused = true;
                ctx.writeAndFlush("421 4.7.0 too many connections from your address\r\n").addListener(f -> ctx.close());
                return;
            }
            if (max > 0) {
                counted = true;
            }
            open.add(this);
            if (gauge != null) {
                gauge.opened();
            }
            peakSettingUp.accumulateAndGet(settingUp.incrementAndGet(), Math::max);
            if (greetingDelay.isZero()) {
                greet(ctx);
            } else {
                ctx.executor().schedule(() -> greet(ctx), greetingDelay.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        private void greet(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(greeting + "\r\n");
            if (!greeting.startsWith("220")) {
                ctx.close();
            }
        }

        /** The connection is set up (EHLO came) or gone: it no longer counts as being set up. */
        private void setUp() {
            if (!greeted) {
                greeted = true;
                settingUp.decrementAndGet();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (refused) {
                return;
            }
            if (counted) {
                admitted.decrementAndGet();
            }
            open.remove(this);
            setUp();
            if (gauge != null) {
                gauge.closed();
            }
            if (inTransaction) {
                active.decrementAndGet();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String raw) {
            if (refusedMail) {
                return; // what was pipelined behind the refused MAIL: the connection is closing
            }
            List<String> after421 = linesAfter421.get(number);
            if (after421 != null) {
                synchronized (after421) {
                    after421.add(raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw);
                }
                return;
            }
            if (finalReplyDue) {
                // Like a real server: what the client pipelined behind the end of data waits for its reply.
                if (deferred.isEmpty() && raw.toUpperCase(java.util.Locale.ROOT).startsWith("MAIL")) {
                    mailsBehindEndOfData.incrementAndGet();
                }
                deferred.add(raw);
                return;
            }
            String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (inData) {
                if (line.equals(".")) {
                    inData = false;
                    finalReplyDue = true;
                    List<String> accepted = List.copyOf(txRecipients);
                    Runnable finish = () -> {
                        recipientsPerMessage.add(accepted.size());
                        delivered.addAll(accepted);
                        messages.incrementAndGet();
                        active.decrementAndGet();
                        inTransaction = false;
                        ctx.writeAndFlush("250 2.0.0 queued\r\n");
                        finalReplyDue = false;
                        while (!finalReplyDue && !deferred.isEmpty() && ctx.channel().isActive()) {
                            channelRead0(ctx, deferred.poll());
                        }
                    };
                    Runnable reply = holdFinalReply == null ? finish : () -> hold(ctx, finish);
                    if (dataDelay.isZero()) {
                        reply.run();
                    } else {
                        ctx.executor().schedule(reply, dataDelay.toMillis(), TimeUnit.MILLISECONDS);
                    }
                }
                return;
            }
            String upper = line.toUpperCase();
            if (upper.startsWith("EHLO")) {
                setUp();
                ctx.writeAndFlush("250-loopback.test\r\n250 PIPELINING\r\n");
            } else if (upper.startsWith("MAIL")) {
                mails++;
                mailCommands.incrementAndGet();
                int every = refuseMailEvery;
                if (every > 0 && allMails.incrementAndGet() % every == 0) {
                    refusedMails.incrementAndGet();
                    refusedMail = true;
                    ctx.writeAndFlush("421 4.7.0 rate limit exceeded, slow down\r\n").addListener(f -> ctx.close());
                    return;
                }
                if (dropSecondMailOnFirstConnection && number == 1 && mails == 2) {
                    ctx.close();
                    return;
                }
                inTransaction = true;
                txRecipients.clear();
                peakActive.accumulateAndGet(active.incrementAndGet(), Math::max);
                ctx.write("250 ok\r\n");
            } else if (upper.startsWith("RCPT")) {
                if (upper.contains("TEMPFAIL421")) {
                    ctx.writeAndFlush("421 4.3.0 closing\r\n");
                    if (keepOpenAfter421) {
                        linesAfter421.put(number, new java.util.ArrayList<>());
                    } else {
                        ctx.close();
                    }
                } else if (upper.contains("REJECT")) {
                    ctx.write("550 5.1.1 no such user\r\n");
                } else if (maxRecipients >= 0 && txRecipients.size() >= maxRecipients) {
                    tooManyRecipients.incrementAndGet();
                    ctx.write("452 4.5.3 too many recipients\r\n");
                } else {
                    txRecipients.add(line.substring(line.indexOf('<') + 1, line.lastIndexOf('>')));
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

        /** Runs finish on the channel's loop once the hold is released (or timed out), exactly once. */
        private void hold(ChannelHandlerContext ctx, Runnable finish) {
            AtomicBoolean done = new AtomicBoolean();
            if (gauge != null) {
                gauge.holding();
            }
            Runnable once = () -> {
                if (done.compareAndSet(false, true)) {
                    if (gauge != null) {
                        gauge.released();
                    }
                    finish.run();
                }
            };
            ctx.executor().schedule(once, maxHold.toMillis(), TimeUnit.MILLISECONDS);
            holdFinalReply.whenComplete((v, e) -> ctx.executor().execute(once));
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
