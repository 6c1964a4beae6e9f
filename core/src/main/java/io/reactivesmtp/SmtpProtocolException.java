package io.reactivesmtp;

/**
 * The server broke the SMTP protocol: a malformed or oversized reply, mixed codes in one multi-line reply,
 * a reply nobody asked for, bytes injected behind a STARTTLS answer. The connection is closed and never
 * reused. Sending again through another connection may help, so it counts as retryable unless the
 * violation came after the final dot (then the outcome is unknown, see {@link SmtpUnknownOutcomeException}).
 */
public class SmtpProtocolException extends SmtpException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was wrong, naming the offending input (already sanitised for logs)
     */
    public SmtpProtocolException(String message) {
        super(message, null, null);
    }

    /**
     * @param message what was wrong
     * @param partialReport the replies collected before the failure, or null
     */
    public SmtpProtocolException(String message, SendReport partialReport) {
        super(message, null, partialReport);
    }

    @Override
    public SmtpProtocolException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpProtocolException(getMessage(), partialReport));
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
