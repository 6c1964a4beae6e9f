package io.reactivesmtp.reactor;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.TlsInfo;
import java.net.SocketAddress;
import java.time.Duration;

/**
 * Hooks into every phase of the client's work, for metrics, tracing or logging without coupling to any of
 * them. Every method has a no-op default: implement only what you need. Methods are called on event-loop
 * threads and must not block. {@link #NONE} does nothing.
 */
public interface SmtpEventListener {

    /** A listener that does nothing. */
    SmtpEventListener NONE = new SmtpEventListener() {
    };

    /**
     * A new connection is being opened.
     *
     * @param destination the destination's key, {@code host:port}
     */
    default void connectStart(String destination) {
    }

    /**
     * A new session is ready to send (greeting, EHLO, TLS and AUTH done).
     *
     * @param destination the destination's key
     * @param session the session; its {@code tls()} and {@code capabilities()} are known
     * @param elapsed from connect start to ready
     */
    default void sessionReady(String destination, SmtpSession session, Duration elapsed) {
    }

    /**
     * TLS was established on a connection (after STARTTLS, or at connect for implicit TLS). Called once per
     * connection, when the connection is first handed to a send (right after {@link #sessionReady} for a
     * connection opened for that send); not called for plaintext sessions.
     *
     * @param destination the destination's key
     * @param tls the negotiated protocol and cipher
     * @param elapsed how long the handshake took (for STARTTLS: from the STARTTLS command to the handshake's end)
     */
    default void tlsEstablished(String destination, TlsInfo tls, Duration elapsed) {
    }

    /**
     * Opening a session failed.
     *
     * @param destination the destination's key
     * @param error why
     * @param elapsed from connect start to the failure
     */
    default void connectFailed(String destination, SmtpException error, Duration elapsed) {
    }

    /**
     * A session was closed (QUIT after idling, too many messages, too old, or discarded after a failure).
     *
     * @param destination the destination's key
     * @param remote the server's address, if known
     * @param messages how many transactions it carried
     */
    default void sessionClosed(String destination, SocketAddress remote, long messages) {
    }

    /**
     * A transaction ended with a verdict.
     *
     * @param destination the destination's key
     * @param report the report
     */
    default void transactionEnd(String destination, SendReport report) {
    }

    /**
     * A transaction failed without a verdict.
     *
     * @param destination the destination's key
     * @param error why
     */
    default void transactionFailed(String destination, SmtpException error) {
    }

    /**
     * Adaptive pacing changed how many transactions may run at once to a site (see {@link Pacing}).
     *
     * @param site the destination ({@code host:port}), or the provider suffix its MX hosts share (e.g.
     *     {@code google.com})
     * @param previousLimit the limit before
     * @param newLimit the limit now
     * @param reason why: {@code decrease: 421 4.7.0 ... at greeting}, {@code increase: ...}
     */
    default void pacingChanged(String site, int previousLimit, int newLimit, String reason) {
    }

    /**
     * Adaptive pacing changed how many transactions per second may start at a site (see {@link Pacing}): set once
     * the concurrency limit is at its floor and the site still asks to slow down, lifted after it recovered.
     *
     * @param site as in {@link #pacingChanged}
     * @param previousPerSecond the rate before, 0 for no limit
     * @param newPerSecond the rate now, 0 for no limit
     * @param reason why
     */
    default void pacingRateChanged(String site, double previousPerSecond, double newPerSecond, String reason) {
    }
}
