package io.reactivesmtp.reactor;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;

/**
 * A transaction was not sent because its site's warm-up volume for the day ({@link Warmup}) is spent. Nothing was
 * sent; it is transient: the same message goes through on a later day.
 */
public final class WarmupDeferredException extends SmtpException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message the site, day and limit
     * @param partialReport the verdicts of other parts of the same message, or null
     */
    public WarmupDeferredException(String message, SendReport partialReport) {
        super(message, null, partialReport);
    }

    @Override
    public boolean isRetryable() {
        return true;
    }

    @Override
    public WarmupDeferredException withPartialReport(SendReport partialReport) {
        return sameTrace(new WarmupDeferredException(getMessage(), partialReport));
    }
}
