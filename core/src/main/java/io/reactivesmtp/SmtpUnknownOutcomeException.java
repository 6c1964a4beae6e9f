package io.reactivesmtp;

/**
 * The whole message was sent but no reply to its final dot arrived (connection lost, timeout, protocol
 * violation). The server may or may not have accepted it: sending it again could deliver it twice, so
 * this is never retryable. The partial report shows which recipients had been accepted at RCPT; none of
 * them is marked delivered.
 */
public class SmtpUnknownOutcomeException extends SmtpException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened after the final dot
     * @param cause the underlying failure, or null
     * @param partialReport the RCPT replies collected before the final dot
     */
    public SmtpUnknownOutcomeException(String message, Throwable cause, SendReport partialReport) {
        super(message, cause, partialReport);
    }

    @Override
    public SmtpUnknownOutcomeException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpUnknownOutcomeException(getMessage(), getCause(), partialReport));
    }

    @Override
    public boolean isRetryable() {
        return false;
    }
}
