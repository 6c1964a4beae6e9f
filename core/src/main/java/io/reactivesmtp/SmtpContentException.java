package io.reactivesmtp;

/**
 * The message content failed while it was being sent (its file could not be read, its publisher signalled
 * an error). The connection is closed without the final dot, so the server discards the partial message;
 * whether a retry helps depends on the content, so it is not retryable by the client's own judgement.
 */
public class SmtpContentException extends SmtpException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed
     * @param cause the content source's error
     * @param partialReport the RCPT replies collected before the failure
     */
    public SmtpContentException(String message, Throwable cause, SendReport partialReport) {
        super(message, cause, partialReport);
    }

    @Override
    public SmtpContentException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpContentException(getMessage(), getCause(), partialReport));
    }

    @Override
    public boolean isRetryable() {
        return false;
    }
}
