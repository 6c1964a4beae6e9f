package io.reactivesmtp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.reactivesmtp.protocol.FirstByteTimeoutHandler;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Opens {@link SmtpSession}s over a plain Netty bootstrap, for users of the core without Reactor. It owns
 * its event loops when it created them and shuts down only those.
 *
 * <pre>{@code
 * try (SmtpConnector connector = SmtpConnector.create()) {
 *     SmtpSession session = connector.connect("127.0.0.1", 2525, SmtpSessionOptions.DEFAULT).join();
 *     ...
 * }
 * }</pre>
 */
public final class SmtpConnector implements AutoCloseable {

    private final EventLoopGroup group;
    private final boolean ownsGroup;

    private SmtpConnector(EventLoopGroup group, boolean ownsGroup) {
        this.group = group;
        this.ownsGroup = ownsGroup;
    }

    /** @return a connector with one event-loop thread of its own */
    public static SmtpConnector create() {
        return new SmtpConnector(new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), true);
    }

    /**
     * @param group NIO event loops to share; {@link #close()} leaves them running
     * @return a connector on those event loops
     */
    public static SmtpConnector create(EventLoopGroup group) {
        return new SmtpConnector(Objects.requireNonNull(group, "group"), false);
    }

    /**
     * Connects, waits for the greeting and sends EHLO. The {@link SmtpPhase#CONNECT connect timeout} covers the
     * TCP connect and the wait for the server's first byte (a connection the server's kernel completed but the
     * server never accepted stays silent); the {@link SmtpPhase#GREETING greeting timeout} the rest of the
     * greeting.
     *
     * @param host the server's host name or address
     * @param port its port
     * @param options how the session behaves
     * @return completes with a ready session, or fails with an {@link SmtpException}
     */
    public CompletableFuture<SmtpSession> connect(String host, int port, SmtpSessionOptions options) {
        CompletableFuture<SmtpSession> result = new CompletableFuture<>();
        SmtpSession[] session = new SmtpSession[1];
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, options.timeout(SmtpPhase.CONNECT).toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        session[0] = SmtpSession.install(ch, options, host, port);
                        // Last, so it goes first, in front of implicit TLS: it watches the raw bytes.
                        FirstByteTimeoutHandler.install(ch, options.timeout(SmtpPhase.CONNECT));
                    }
                });
        ChannelFuture connect = bootstrap.connect(host, port);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(f.cause() instanceof ConnectTimeoutException
                        ? new SmtpTimeoutException(SmtpPhase.CONNECT, options.timeout(SmtpPhase.CONNECT), null)
                        : new SmtpConnectionException("cannot connect to " + host + ":" + port + ": "
                                + f.cause().getMessage(), f.cause(), null));
                return;
            }
            session[0].ready().whenComplete((caps, error) -> {
                if (error != null) {
                    result.completeExceptionally(FirstByteTimeoutHandler.failure(connect.channel(), error));
                } else {
                    result.complete(session[0]);
                }
            });
        });
        return result;
    }

    /** Shuts down the event loops if this connector created them. */
    @Override
    public void close() {
        if (ownsGroup) {
            group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
