package io.reactivesmtp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
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
import java.util.function.Consumer;

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
        return connect(host, port, options, null);
    }

    /**
     * Like {@link #connect(String, int, SmtpSessionOptions)}, with a say in the connection's pipeline: a tool that
     * watches the session (a probe recording the greeting and each reply, a tracer) adds its own handlers instead
     * of building a second bootstrap.
     *
     * <p>The customiser runs once, on the connection's event loop, while the channel is initialised: after the
     * session's handlers are in the pipeline ({@code smtp-tls} for implicit TLS, {@code smtp-codec},
     * {@code smtp-session}, named in {@code io.reactivesmtp.protocol.HandlerNames}) and before any byte is read. It
     * may add handlers, e.g. between the codec and the session to see every decoded reply and every command
     * written; it must not remove, replace or reorder the session's handlers, nor block. The connect timeout still
     * lasts until the server's first byte, whatever it adds. If it throws, the channel is closed and the future
     * fails with an {@link SmtpConnectionException} carrying what it threw.
     *
     * <pre>{@code
     * connector.connect(host, 25, options, ch -> ch.pipeline().addBefore("smtp-session", "tap", new MyTap()));
     * }</pre>
     *
     * @param host the server's host name or address
     * @param port its port
     * @param options how the session behaves
     * @param pipelineCustomizer adds handlers to the new channel's pipeline; null for none
     * @return completes with a ready session, or fails with an {@link SmtpException}
     */
    public CompletableFuture<SmtpSession> connect(String host, int port, SmtpSessionOptions options,
                                                  Consumer<? super Channel> pipelineCustomizer) {
        options.tls().prepared(); // the TLS context, if deferred, here and not at STARTTLS on the event loop
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
                        if (pipelineCustomizer != null) {
                            try {
                                pipelineCustomizer.accept(ch);
                            } catch (RuntimeException e) {
                                // Before close(): the session's own failure must not win the race.
                                result.completeExceptionally(new SmtpConnectionException(
                                        "the pipeline customiser failed: " + e, e, null));
                                ch.close();
                                return;
                            }
                        }
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
