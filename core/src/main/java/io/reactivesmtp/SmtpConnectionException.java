package io.reactivesmtp;

/**
 * The connection could not be made, or was lost (or closed by a 421) before the final dot of the message.
 * Nothing can have been delivered, so it is always retryable.
 */
public class SmtpConnectionException extends SmtpException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened
     * @param cause the transport's error, or null
     * @param partialReport the replies collected before the failure, or null
     */
    public SmtpConnectionException(String message, Throwable cause, SendReport partialReport) {
        super(message, cause, partialReport);
    }

    @Override
    public SmtpConnectionException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpConnectionException(getMessage(), getCause(), partialReport));
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
