package io.reactivesmtp.protocol;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpTimeoutException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Holds a new connection to the {@link SmtpPhase#CONNECT connect timeout} until the server's first byte arrives.
 *
 * <p>Why: when a server's listen backlog is full, the client's kernel may complete the TCP handshake although the
 * server never accepts the connection; the socket is ESTABLISHED and simply stays silent. Under the greeting
 * timeout alone (5 minutes, RFC 5321) such a connect would hang for minutes. A server that accepted the
 * connection sends its greeting (or, for implicit TLS, its handshake) at once, so the rule is: the connect timeout
 * runs from the start of the TCP connect until the first byte from the server, over the same deadline as the
 * transport's own connect timeout; after that first byte the greeting timeout governs the rest of the greeting.
 * (Postfix keeps them apart, {@code smtp_connect_timeout} 30 s and {@code smtp_helo_timeout} 300 s, and waits the
 * full 300 s for such a connection.)
 *
 * <p>Added first in the pipeline (in front of TLS) before the connect starts, by {@link #install}; it removes
 * itself at the first byte. When it fires it closes the connection; {@link #failure} then names the timeout
 * as the reason, instead of the session's "connection closed".
 */
public final class FirstByteTimeoutHandler extends ChannelDuplexHandler {

    /** The handler's name in the pipeline, in front of {@link HandlerNames#TLS} while it is there. */
    public static final String NAME = "smtp-first-byte-timeout";

    private static final AttributeKey<SmtpTimeoutException> FIRED =
            AttributeKey.valueOf(FirstByteTimeoutHandler.class, "fired");

    private final Duration timeout;
    private ScheduledFuture<?> timer;
    private boolean done;

    private FirstByteTimeoutHandler(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * Adds the handler first in the channel's pipeline. Call it before the connect starts (in the channel
     * initializer), after any other handler that is added first, such as the implicit TLS handler.
     *
     * @param channel a channel that is not connected yet
     * @param connectTimeout the connect timeout, which then covers the wait for the server's first byte too
     */
    public static void install(Channel channel, Duration connectTimeout) {
        channel.pipeline().addFirst(NAME, new FirstByteTimeoutHandler(connectTimeout));
    }

    /**
     * The failure to report for a session on this channel that failed to become ready.
     *
     * @param channel the session's channel
     * @param failure why its readiness failed
     * @return an {@link SmtpTimeoutException} of phase {@link SmtpPhase#CONNECT} when this handler closed the
     *     connection, otherwise {@code failure}
     */
    public static Throwable failure(Channel channel, Throwable failure) {
        SmtpTimeoutException fired = channel.attr(FIRED).get();
        return fired != null ? fired : failure;
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                        ChannelPromise promise) throws Exception {
        // Same start, same length as the transport's connect timeout: one deadline for both parts.
        timer = ctx.executor().schedule(() -> onTimeout(ctx), timeout.toNanos(), TimeUnit.NANOSECONDS);
        super.connect(ctx, remote, local, promise);
    }

    private void onTimeout(ChannelHandlerContext ctx) {
        timer = null;
        if (done || !ctx.channel().isActive()) {
            // Not connected yet: the transport's connect timeout fires now and reports it.
            return;
        }
        done = true;
        ctx.channel().attr(FIRED).set(new SmtpTimeoutException(SmtpPhase.CONNECT, timeout, null));
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!done) {
            done = true;
            cancel();
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        done = true;
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
