package io.reactivesmtp.reactor.mtasts;

/**
 * Told the TLS outcome of every session to a recipient's MX host, per policy: what {@link TlsReporting} counts
 * for TLS-RPT. Both methods have no-op defaults; they are called on event-loop threads and must not block.
 * {@link #NONE} does nothing.
 */
public interface TlsRptListener {

    /** A listener that does nothing. */
    TlsRptListener NONE = new TlsRptListener() {
    };

    /**
     * A session negotiated TLS as the policy requires.
     *
     * @param policy the policy it was evaluated against ({@link TlsRptPolicy#noPolicyFound} when none)
     */
    default void sessionSucceeded(TlsRptPolicy policy) {
    }

    /**
     * A session failed the policy (or, under a policy fetch failure, could not be evaluated against one).
     *
     * @param policy the policy it was evaluated against
     * @param failure why, with the connection's details
     */
    default void sessionFailed(TlsRptPolicy policy, TlsRptFailure failure) {
    }
}
