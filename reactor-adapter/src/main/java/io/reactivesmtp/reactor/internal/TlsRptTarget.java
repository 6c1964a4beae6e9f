package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.reactor.mtasts.TlsRptPolicy;
import io.reactivesmtp.reactor.mtasts.TlsRptResultType;
import java.util.Objects;

/**
 * What the sessions through one MX destination are reported under in TLS-RPT (RFC 8460): the policy they are
 * evaluated against and, when the domain's MTA-STS policy could not be had, the failure every session of it
 * counts as. Internal: not part of the API.
 *
 * @param policy the policy ({@code sts}, {@code tlsa} or {@code no-policy-found})
 * @param policyFailure the failure of getting the policy ({@code sts-policy-fetch-error} and friends), or null
 */
public record TlsRptTarget(TlsRptPolicy policy, TlsRptResultType policyFailure) {

    /** Checks the policy is given. */
    public TlsRptTarget {
        Objects.requireNonNull(policy, "policy");
    }
}
