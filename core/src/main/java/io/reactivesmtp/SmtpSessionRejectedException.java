package io.reactivesmtp;

/**
 * The server refused the session before any transaction: a greeting other than 220, or both EHLO and HELO
 * refused. It carries the server's reply; a 4xx (typically 421) is retryable, a 5xx is not.
 */
public class SmtpSessionRejectedException extends SmtpException {

    private static final long serialVersionUID = 1L;

    private final SmtpPhase phase;
    private final SmtpReply reply;

    /**
     * @param phase where the refusal came
     * @param reply the server's reply
     */
    public SmtpSessionRejectedException(SmtpPhase phase, SmtpReply reply) {
        this(phase, reply, null);
    }

    /**
     * @param phase where the refusal came
     * @param reply the server's reply
     * @param partialReport the verdicts of other parts of the same message, or null
     */
    public SmtpSessionRejectedException(SmtpPhase phase, SmtpReply reply, SendReport partialReport) {
        super("server refused the session at " + phase.description() + ": " + reply, null, partialReport);
        this.phase = phase;
        this.reply = reply;
    }

    /** @return the server's refusal */
    public SmtpReply reply() {
        return reply;
    }

    @Override
    public SmtpSessionRejectedException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpSessionRejectedException(phase, reply, partialReport));
    }

    @Override
    public boolean isRetryable() {
        return reply.isTransientFailure();
    }
}
