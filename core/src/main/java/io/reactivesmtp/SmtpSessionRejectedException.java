package io.reactivesmtp;

/**
 * The server refused the session before any transaction: a greeting other than 220, or both EHLO and HELO
 * refused. It carries the server's reply; a 4xx (typically 421) is retryable, a 5xx is not.
 */
public class SmtpSessionRejectedException extends SmtpException {

    private static final long serialVersionUID = 1L;

    private final SmtpReply reply;

    /**
     * @param phase where the refusal came
     * @param reply the server's reply
     */
    public SmtpSessionRejectedException(SmtpPhase phase, SmtpReply reply) {
        super("server refused the session at " + phase.description() + ": " + reply, null, null);
        this.reply = reply;
    }

    /** @return the server's refusal */
    public SmtpReply reply() {
        return reply;
    }

    @Override
    public boolean isRetryable() {
        return reply.isTransientFailure();
    }
}
