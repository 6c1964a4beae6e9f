package io.reactivesmtp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.reactivesmtp.protocol.HandlerNames;
import io.reactivesmtp.protocol.SmtpClientCodec;
import io.reactivesmtp.protocol.SmtpSessionHandler;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * One SMTP connection: greeted, EHLO done, ready to carry messages one after another.
 *
 * <p>{@link SmtpConnector} opens sessions over a plain Netty bootstrap; the reactor adapter installs them into
 * reactor-netty connections with {@link #install(Channel, SmtpSessionOptions)}. Either way the pipeline is
 * {@code [smtp-tls] -> smtp-codec -> smtp-session} (see {@link HandlerNames}).
 *
 * <pre>{@code
 * try (SmtpConnector connector = SmtpConnector.create()) {
 *     SmtpSession session = connector.connect("127.0.0.1", 2525, SmtpSessionOptions.DEFAULT).join();
 *     SendReport report = session.send(Envelope.of("me@example.com", "you@example.com"),
 *             MessageContent.of("Subject: hi\r\n\r\nhello\r\n")).join();
 *     session.close().join();
 * }
 * }</pre>
 */
public final class SmtpSession {

    private final Channel channel;
    private final SmtpSessionHandler handler;

    private SmtpSession(Channel channel, SmtpSessionHandler handler) {
        this.channel = channel;
        this.handler = handler;
    }

    /**
     * Adds the SMTP handlers (and, for {@link TlsPolicy#IMPLICIT implicit TLS}, the TLS handler in front of
     * them) at the end of a channel's pipeline. Call it before the connection is active, or on its event loop
     * as soon as it becomes active, so no byte of the greeting is read before the handlers are there.
     *
     * @param channel a TCP channel to an SMTP server
     * @param options how the session behaves
     * @param host the server's host name as the caller named it: TLS verifies the certificate against it
     * @param port the server's port
     * @return the session; wait for {@link #ready()} before sending
     */
    public static SmtpSession install(Channel channel, SmtpSessionOptions options, String host, int port) {
        return install(channel, options, host, port, null);
    }

    /**
     * Like {@link #install(Channel, SmtpSessionOptions, String, int)}, but inserts the handlers in front of a
     * named handler that must stay last (reactor-netty's reactive bridge, for instance), since the session
     * handler consumes every reply itself.
     *
     * @param channel a TCP channel to an SMTP server
     * @param options how the session behaves
     * @param host the server's host name as the caller named it
     * @param port the server's port
     * @param beforeHandler the name of the handler to insert in front of, or null to add at the end
     * @return the session; wait for {@link #ready()} before sending
     */
    public static SmtpSession install(Channel channel, SmtpSessionOptions options, String host, int port,
                                      String beforeHandler) {
        SmtpSessionHandler handler = new SmtpSessionHandler(options, host, port);
        SmtpClientCodec codec = new SmtpClientCodec(options.maxReplyLineLength(), options.maxReplyLines());
        ChannelPipeline pipeline = channel.pipeline();
        if (options.tls().policy() == TlsPolicy.IMPLICIT) {
            pipeline.addFirst(HandlerNames.TLS, options.tls().newHandler(channel.alloc(), host, port));
        }
        if (beforeHandler == null || pipeline.get(beforeHandler) == null) {
            pipeline.addLast(HandlerNames.CODEC, codec);
            pipeline.addLast(HandlerNames.SESSION, handler);
        } else {
            pipeline.addBefore(beforeHandler, HandlerNames.CODEC, codec);
            pipeline.addBefore(beforeHandler, HandlerNames.SESSION, handler);
        }
        return new SmtpSession(channel, handler);
    }

    /**
     * @param channel a channel on which {@link #install} was called
     * @return its session
     * @throws IllegalStateException if the channel has no SMTP session handler
     */
    public static SmtpSession of(Channel channel) {
        SmtpSessionHandler handler = channel.pipeline().get(SmtpSessionHandler.class);
        if (handler == null) {
            throw new IllegalStateException("channel " + channel + " has no SMTP session");
        }
        return new SmtpSession(channel, handler);
    }

    /** @return completes with the server's capabilities once the greeting and EHLO (or HELO) succeeded */
    public CompletableFuture<Capabilities> ready() {
        return handler.ready();
    }

    /**
     * Sends one message. One at a time per session: wait for the previous report before the next send (or use
     * {@link #send(Envelope, MessageContent, Runnable)} to pipeline the next message behind this one).
     *
     * <p>Cancelling the returned future before the DATA command was written abandons the transaction: the
     * session reads the replies still due, sends RSET and is ready for the next message once the server answered
     * it. Cancelling after DATA closes the connection (content that began cannot be withdrawn); after the end of
     * data it changes nothing on the wire, the server's verdict simply goes unreported.
     *
     * @param envelope the sender and recipients (the content's headers do not decide who receives it)
     * @param content the RFC 5322 message
     * @return the report (4xx/5xx replies are in it), or an {@link SmtpException} when no verdict could be had
     */
    public CompletableFuture<SendReport> send(Envelope envelope, MessageContent content) {
        return handler.send(envelope, content, null);
    }

    /**
     * Sends one message and says as soon as the session can take the next one. With a server that offers
     * PIPELINING that is when this message's end of data is written, before its final reply: a send started
     * then has its MAIL, RCPT and DATA written right behind the end of data (RFC 2920 section 3.1), so a busy
     * connection needs one round trip per message instead of two. Otherwise (no PIPELINING, BDAT) it is when
     * the report is ready. At most one message awaits its final reply while the next is under way.
     *
     * @param envelope the sender and recipients
     * @param content the RFC 5322 message
     * @param acceptsNext run exactly once, on the session's event loop, when the next {@code send} may start
     *     (also when this one fails, and after the RSET of a send cancelled before DATA); it may call
     *     {@code send} directly
     * @return the report, or an {@link SmtpException} when no verdict could be had
     */
    public CompletableFuture<SendReport> send(Envelope envelope, MessageContent content, Runnable acceptsNext) {
        return handler.send(envelope, content, java.util.Objects.requireNonNull(acceptsNext, "acceptsNext"));
    }

    /** @return the capabilities the server advertised, or null before {@link #ready()} completed */
    public Capabilities capabilities() {
        return handler.capabilities();
    }

    /**
     * @return how long establishing TLS took, once established: for STARTTLS from the command to the end of the
     *     handshake, for implicit TLS from the connection to the end of the handshake; empty without TLS
     */
    public java.util.Optional<java.time.Duration> tlsHandshakeTime() {
        return java.util.Optional.ofNullable(handler.tlsHandshakeTime());
    }

    /** @return the TLS the session runs over, once established */
    public java.util.Optional<TlsInfo> tls() {
        return java.util.Optional.ofNullable(handler.tlsInfo());
    }

    /**
     * @return true when open, never failed and idle or only awaiting the final reply of a pipelined message:
     *     it can carry another message now
     */
    public boolean isReusable() {
        return handler.isReusable();
    }

    /** @return the server's address */
    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    /** @return the underlying channel */
    public Channel channel() {
        return channel;
    }

    /**
     * Ends the session: QUIT when idle, otherwise closes at once.
     *
     * @return completes when the connection has closed
     */
    public CompletableFuture<Void> close() {
        return handler.close();
    }

    /** @return completes when the connection has closed, for whatever reason */
    public CompletableFuture<Void> closeFuture() {
        return handler.closeFuture();
    }

    @Override
    public String toString() {
        return "SmtpSession{" + channel.remoteAddress() + "}";
    }
}
