package io.reactivesmtp.protocol;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.ssl.SslHandler;
import io.reactivesmtp.Capabilities;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpProtocolException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import java.time.Duration;

/**
 * Bringing TLS up on a session: STARTTLS after EHLO as the policy asks (RFC 3207), or waiting for the handshake of
 * implicit TLS. On the 220 it refuses bytes buffered behind it (they were sent in plaintext: response injection),
 * puts the SslHandler first in the pipeline, waits for the handshake and says how long it took. Runs on the event
 * loop.
 */
final class StartTlsUpgrade {

    /** Netty's SmtpCommand has no constant for RFC 3207's verb. */
    private static final SmtpCommand STARTTLS = SmtpCommand.valueOf("STARTTLS");

    /** What the upgrade needs of its session beyond the wire. */
    interface Session {
        ChannelPipeline pipeline();

        /** @return true once the session is closing or closed: a late handshake result is ignored */
        boolean isOver();

        /** Ends a session that could not be set up, with {@code error} (nothing was sent). */
        void refuse(SmtpException error);

        /** The server refused STARTTLS and the policy allows plaintext: the session goes on without TLS. */
        void withoutTls();

        /** TLS is up: for STARTTLS the session forgets what it learned before and says EHLO again. */
        void secured();
    }

    private final Session session;
    private final SessionWire wire;
    private final TlsOptions options;
    private final String peerHost;
    private final int peerPort;
    /** When the upgrade began (STARTTLS written, or the connection up for implicit TLS), System.nanoTime(). */
    private long startNanos;
    private Duration handshakeTime;
    private TlsInfo info;

    StartTlsUpgrade(Session session, SessionWire wire, TlsOptions options, String peerHost, int peerPort) {
        this.session = session;
        this.wire = wire;
        this.options = options;
        this.peerHost = peerHost;
        this.peerPort = peerPort;
    }

    /** @return what TLS the session runs over, once established; null without TLS */
    TlsInfo info() {
        return info;
    }

    /** @return how long establishing TLS took, once established; null without TLS */
    Duration handshakeTime() {
        return handshakeTime;
    }

    /** Implicit TLS: the greeting comes only after this handshake (the greeting timer covers both). */
    void awaitImplicit(SslHandler ssl) {
        startNanos = System.nanoTime();
        ssl.handshakeFuture().addListener(f -> onHandshake(ssl, f.cause()));
    }

    /**
     * After EHLO/HELO: sends STARTTLS if the policy wants TLS and the server offers it; refuses the session if
     * TLS is required and not offered.
     *
     * @return true when the upgrade took over the session; false when it goes on without TLS
     */
    boolean offer(Capabilities caps) {
        TlsPolicy policy = options.policy();
        if (info != null || policy != TlsPolicy.REQUIRED && policy != TlsPolicy.OPPORTUNISTIC) {
            return false;
        }
        if (caps.startTls()) {
            startNanos = System.nanoTime();
            wire.write(new DefaultSmtpRequest(STARTTLS),
                    new PendingCommand("STARTTLS", SmtpPhase.STARTTLS, this::onStartTls));
            wire.flush();
            return true;
        }
        if (policy == TlsPolicy.REQUIRED) {
            session.refuse(new SmtpTlsException("TLS is required but " + peer() + " does not offer STARTTLS"
                    + (caps.isExtended() ? " (EHLO: " + caps.keywords().keySet() + ")" : " (it refused EHLO)")
                    + "; nothing was sent", null));
            return true;
        }
        return false;
    }

    private void onStartTls(SmtpReply reply) {
        if (reply.code() != 220) {
            if (options.policy() == TlsPolicy.REQUIRED) {
                session.refuse(new SmtpTlsException("TLS is required but " + peer() + " refused STARTTLS: " + reply
                        + "; nothing was sent", null));
            } else {
                session.withoutTls(); // opportunistic: go on in plaintext
            }
            return;
        }
        // Anything already received behind the 220 was sent in plaintext, before TLS, and would be read as if
        // it came over TLS: response injection (CVE-2021-22947). Fail instead of starting TLS.
        ChannelPipeline pipeline = session.pipeline();
        SmtpClientCodec codec = pipeline.get(SmtpClientCodec.class);
        int injected = codec == null ? 0 : codec.bufferedBytes();
        if (injected > 0) {
            wire.fail(report -> new SmtpProtocolException(injected + " byte(s) arrived behind the STARTTLS 220 "
                    + "before TLS started (response injection); the session is closed", report));
            return;
        }
        SslHandler ssl = options.newHandler(wire.alloc(), peerHost, peerPort);
        pipeline.addFirst(HandlerNames.TLS, ssl);
        wire.armTimer(SmtpPhase.TLS_HANDSHAKE);
        ssl.handshakeFuture().addListener(f -> onHandshake(ssl, f.cause()));
    }

    private void onHandshake(SslHandler ssl, Throwable cause) {
        if (session.isOver()) {
            return;
        }
        if (cause != null) {
            wire.fail(report -> new SmtpTlsException("TLS handshake with " + peer() + " failed: " + describe(cause), cause));
            return;
        }
        handshakeTime = Duration.ofNanos(System.nanoTime() - startNanos);
        info = TlsInfo.of(ssl.engine().getSession(), options.provider().name());
        session.secured();
    }

    private String peer() {
        return peerHost + ":" + peerPort;
    }

    /** The failure's message, with the root cause's where the top one hides it. */
    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String top = String.valueOf(cause.getMessage());
        String detail = root.getMessage();
        // OpenSSL says only "General OpenSslEngine problem" on top; the reason is further down the chain.
        return root == cause || detail == null || top.contains(detail) ? top : top + " (" + detail + ")";
    }
}
