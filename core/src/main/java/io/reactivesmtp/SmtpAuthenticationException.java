package io.reactivesmtp;

import java.util.Optional;

/**
 * SMTP AUTH (RFC 4954) failed: the server refused the credentials, or the client cancelled the exchange
 * because the server's challenges made no sense (invalid base64, too many rounds).
 *
 * <p>Only a 4xx refusal (such as {@code 454 4.7.0 Temporary authentication failure}) is retryable. A 535
 * (bad credentials), any other 5xx, and every client-side abort are not: retrying with the same wrong
 * password would only get the account locked.
 *
 * <p>The message names the mechanism and the server's reply (escaped) and never contains a password,
 * token or SASL response.
 */
public class SmtpAuthenticationException extends SmtpException {

    private static final long serialVersionUID = 1L;

    private final String mechanism;
    private final SmtpReply reply;

    /**
     * The server answered the exchange with a failure.
     *
     * @param mechanism the SASL mechanism used, such as {@code PLAIN}
     * @param reply the server's final reply (4xx or 5xx)
     */
    public SmtpAuthenticationException(String mechanism, SmtpReply reply) {
        super("authentication with " + mechanism + " refused by the server: " + reply, null, null);
        this.mechanism = mechanism;
        this.reply = reply;
    }

    /**
     * The server answered the exchange with a failure, and {@code context} says what made it final.
     *
     * @param mechanism the SASL mechanism used, such as {@code XOAUTH2}
     * @param reply the server's final reply (4xx or 5xx)
     * @param context why no further attempt is made, safe for logs (no secret)
     */
    public SmtpAuthenticationException(String mechanism, SmtpReply reply, String context) {
        super("authentication with " + mechanism + " refused by the server (" + context + "): " + reply, null, null);
        this.mechanism = mechanism;
        this.reply = reply;
    }

    private SmtpAuthenticationException(SmtpAuthenticationException original, SendReport partialReport) {
        super(original.getMessage(), original.getCause(), partialReport);
        this.mechanism = original.mechanism;
        this.reply = original.reply;
    }

    /**
     * The client cancelled the exchange (it sent {@code *}) or could not run it.
     *
     * @param mechanism the SASL mechanism used, such as {@code CRAM-MD5}
     * @param reason why, safe for logs: it must not contain a secret (the messages of
     *     {@code AuthAbortedException} are safe)
     * @param cause the underlying failure, or null
     */
    public SmtpAuthenticationException(String mechanism, String reason, Throwable cause) {
        super("authentication with " + mechanism + " aborted by the client: " + reason, cause, null);
        this.mechanism = mechanism;
        this.reply = null;
    }

    /** @return the SASL mechanism that failed, such as {@code PLAIN} */
    public String mechanism() {
        return mechanism;
    }

    /** @return the server's refusal; empty when the client aborted the exchange */
    public Optional<SmtpReply> reply() {
        return Optional.ofNullable(reply);
    }

    /** @return true only for a 4xx reply; false for 5xx and for client-side aborts */
    @Override
    public SmtpAuthenticationException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpAuthenticationException(this, partialReport));
    }

    @Override
    public boolean isRetryable() {
        return reply != null && reply.isTransientFailure();
    }
}
