package io.reactivesmtp;

/**
 * The client refused to go on because doing so would break the caller's policy or the protocol: the
 * envelope needs SMTPUTF8 and the server does not offer it, the message is larger than the server's SIZE,
 * TLS was required and is not available. Nothing was sent for this message. Not retryable against the same
 * server.
 */
public class SmtpPolicyException extends SmtpException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what the policy forbids, naming the offending input
     */
    public SmtpPolicyException(String message) {
        super(message, null, null);
    }

    /**
     * @param message what the policy forbids
     * @param partialReport the verdicts of other parts of the same message (e.g. other domains), or null
     */
    public SmtpPolicyException(String message, SendReport partialReport) {
        super(message, null, partialReport);
    }

    @Override
    public SmtpPolicyException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpPolicyException(getMessage(), partialReport));
    }

    @Override
    public boolean isRetryable() {
        return false;
    }
}
