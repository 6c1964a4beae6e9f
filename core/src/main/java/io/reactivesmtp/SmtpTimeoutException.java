package io.reactivesmtp;

import java.time.Duration;

/**
 * The server did not answer within the timeout of a phase before the final dot (connect, greeting, a
 * command, a data block). Nothing can have been delivered, so it is retryable. A timeout waiting for the
 * reply to the final dot is an {@link SmtpUnknownOutcomeException} instead.
 */
public class SmtpTimeoutException extends SmtpException {

    private static final long serialVersionUID = 1L;

    private final SmtpPhase phase;
    private final Duration timeout;

    /**
     * @param phase the phase whose timer fired
     * @param timeout its configured length
     * @param partialReport the replies collected before the failure, or null
     */
    public SmtpTimeoutException(SmtpPhase phase, Duration timeout, SendReport partialReport) {
        super("no answer from the server within " + timeout + " (" + phase.description() + ")", null, partialReport);
        this.phase = phase;
        this.timeout = timeout;
    }

    /** @return the phase whose timer fired */
    public SmtpPhase phase() {
        return phase;
    }

    /** @return the configured timeout of that phase */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public SmtpTimeoutException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpTimeoutException(phase, timeout, partialReport));
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
