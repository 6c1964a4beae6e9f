package io.reactivesmtp;

import java.util.Optional;

/**
 * The root of every failure that left the client without a verdict from the server.
 *
 * <p>A 4xx or 5xx reply to a command is a verdict and appears in the {@link SendReport}; an
 * {@code SmtpException} means no such verdict could be had: the connection failed, a timer fired, the
 * server broke the protocol, or the outcome is unknown. {@link #isRetryable()} tells whether sending the
 * same message again can help and cannot deliver it twice.
 */
public abstract class SmtpException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient SendReport partialReport;

    protected SmtpException(String message, Throwable cause, SendReport partialReport) {
        super(message, cause);
        this.partialReport = partialReport;
    }

    /**
     * Whether sending again may succeed without any risk of a duplicate delivery.
     *
     * @return true for transient failures (connection lost before the final dot, a timeout before it, a 421)
     */
    public abstract boolean isRetryable();

    /**
     * Whether this failure is, for the recipients it concerns, as final as a 5xx although no server said so: their
     * domain accepts no mail (null MX, NXDOMAIN, no usable MX host; see {@link SmtpNoMailExchangerException}).
     * Such recipients are reported as permanent failures and never sent to again. Most failures are not: they
     * say nothing about the recipients (a connection, a timeout, a policy or TLS setting of the caller's).
     *
     * @return true when sending to these recipients again can never succeed; false by default
     */
    public boolean isPermanent() {
        return false;
    }

    /**
     * The same failure, carrying a (merged) partial report: for callers that combine several transactions,
     * such as MX delivery to several domains or retries, and must not lose the verdicts they already have.
     *
     * @param partialReport the replies collected before the failure
     * @return a copy of this exception, of the same type, with that report (and this one's stack trace)
     */
    public abstract SmtpException withPartialReport(SendReport partialReport);

    /** Keeps where the original failure was raised. */
    protected final <T extends SmtpException> T sameTrace(T copy) {
        copy.setStackTrace(getStackTrace());
        return copy;
    }

    /**
     * What the server had said in the failed transaction before it failed, recipient by recipient, when a
     * transaction had started. No recipient in it is ever marked delivered.
     *
     * @return the replies collected before the failure, if a transaction had started
     */
    public Optional<SendReport> partialReport() {
        return Optional.ofNullable(partialReport);
    }
}
