package io.reactivesmtp.reactor.mtasts;

import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.reactor.MxTlsPolicy;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of looking up a domain's MTA-STS policy: the policy to apply (if any), where it came from, and
 * what failed on the way. A failure never takes away a cached policy that has not expired (RFC 8461 5.1), so a
 * lookup can carry both a policy and a failure. Immutable.
 *
 * @param domain the policy domain, lower case
 * @param policy the policy to apply, or null
 * @param source where the policy came from
 * @param failure what failed, or null
 */
public record MtaStsLookup(String domain, MtaStsPolicy policy, Source source, MtaStsFailure failure) {

    /** Where the policy came from. */
    public enum Source {
        /** Fetched now: the TXT id was new, or the cached policy had expired. */
        FETCHED,
        /** From the cache, not expired: the TXT id was unchanged, or the TXT record or fetch failed. */
        CACHED,
        /** There is no policy to apply: none announced, or none could be had and none was cached. */
        NONE
    }

    /** Checks the fields agree. */
    public MtaStsLookup {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(source, "source");
        if ((policy == null) != (source == Source.NONE)) {
            throw new IllegalArgumentException("a policy goes with FETCHED or CACHED, none with NONE: " + source);
        }
    }

    /** @return the policy to apply */
    public Optional<MtaStsPolicy> policyIfAny() {
        return Optional.ofNullable(policy);
    }

    /** @return what failed on the way (also when a cached policy is still applied) */
    public Optional<MtaStsFailure> failureIfAny() {
        return Optional.ofNullable(failure);
    }

    /**
     * @return the policy to count this domain's sessions under in TLS-RPT: the applied policy; {@code sts} without
     *         policy strings when one was announced but could not be had (fetch, certificate or policy failure:
     *         report those sessions with {@link MtaStsFailure#resultType()}); else {@code no-policy-found}
     */
    public TlsRptPolicy tlsRptPolicy() {
        if (policy != null) {
            return TlsRptPolicy.sts(domain, policy);
        }
        if (failure != null && failure.resultType().isPresent()) {
            return new TlsRptPolicy(TlsRptPolicy.Type.STS, domain, List.of(), List.of());
        }
        return TlsRptPolicy.noPolicyFound(domain);
    }

    /**
     * @return the policy as MX routing applies it: mode enforce or testing as an {@link MxTlsPolicy} of source
     *         {@link MxTlsStatus.Source#MTA_STS}; empty for mode none or no policy
     */
    public Optional<MxTlsPolicy> mxTlsPolicy() {
        if (policy == null || policy.mode() == MtaStsPolicy.Mode.NONE) {
            return Optional.empty();
        }
        return Optional.of(MxTlsPolicy.of(policy.mode() == MtaStsPolicy.Mode.ENFORCE ? MxTlsPolicy.Mode.ENFORCE
                : MxTlsPolicy.Mode.TESTING, policy.mxPatterns(), MxTlsStatus.Source.MTA_STS));
    }

    /** @return whether a policy in mode {@code enforce} applies: only matching MX hosts with valid certificates */
    public boolean enforced() {
        return policy != null && policy.mode() == MtaStsPolicy.Mode.ENFORCE;
    }
}
