package io.reactivesmtp;

/**
 * The recipient domain accepts no mail at all: it publishes a null MX (RFC 7505), it does not exist (NXDOMAIN), or
 * none of its MX records names a usable host. No server was asked, yet the answer is as final as a 5xx:
 * {@link #isPermanent()} is true, and its recipients are reported as permanent failures, never resent.
 */
public class SmtpNoMailExchangerException extends SmtpPolicyException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message why the domain accepts no mail, naming the domain
     */
    public SmtpNoMailExchangerException(String message) {
        super(message);
    }

    /**
     * @param message why the domain accepts no mail, naming the domain
     * @param partialReport the verdicts of other parts of the same message (other domains), or null
     */
    public SmtpNoMailExchangerException(String message, SendReport partialReport) {
        super(message, partialReport);
    }

    @Override
    public SmtpNoMailExchangerException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpNoMailExchangerException(getMessage(), partialReport));
    }

    @Override
    public boolean isPermanent() {
        return true;
    }
}
