package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.dane.TlsaRecord;
import io.reactivesmtp.reactor.MxTlsPolicy;
import io.reactivesmtp.reactor.MxTlsPolicySource;
import io.reactivesmtp.reactor.mtasts.MtaStsFailure;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicies;
import io.reactivesmtp.reactor.mtasts.TlsRptFailure;
import io.reactivesmtp.reactor.mtasts.TlsRptListener;
import io.reactivesmtp.reactor.mtasts.TlsRptPolicy;
import io.reactivesmtp.reactor.mtasts.TlsRptResultType;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * TLS-RPT (RFC 8460) in MX routing: the policy a domain's sessions are evaluated against, and each new MX
 * session's outcome told to the user's {@link TlsRptListener} once, with the RFC's result type mapped from the
 * TLS error. Sessions that never connect (refused, timed out) and MX hosts a policy excludes are not sessions
 * TLS-RPT counts, so they are not reported. Internal: not part of the API.
 */
public final class TlsRptSessions {

    private final TlsRptListener listener;

    /** @param listener the user's listener; {@link TlsRptListener#NONE} makes every call a no-op */
    public TlsRptSessions(TlsRptListener listener) {
        this.listener = listener;
    }

    /**
     * A domain's TLS policy for delivery and for reporting.
     *
     * @param policy what MX routing applies, or null
     * @param target what its sessions are reported under (when no TLSA record overrides it)
     */
    record DomainPolicy(MxTlsPolicy policy, TlsRptTarget target) {
    }

    /**
     * MTA-STS policies give their lookup's TLS-RPT policy (with the policy text, or the fetch failure); other
     * sources give only the MX patterns of a policy they say is MTA-STS, else {@code no-policy-found}.
     */
    static Mono<DomainPolicy> policyOf(MxTlsPolicySource source, String domain) {
        if (source instanceof MtaStsPolicies sts) {
            return sts.lookup(domain).map(l -> new DomainPolicy(l.mxTlsPolicy().orElse(null), new TlsRptTarget(
                    l.tlsRptPolicy(), l.policy() != null ? null
                            : l.failureIfAny().flatMap(MtaStsFailure::resultType).orElse(null))));
        }
        return source.policy(domain).defaultIfEmpty(Optional.empty()).map(p -> new DomainPolicy(p.orElse(null),
                p.filter(x -> x.source() == MxTlsStatus.Source.MTA_STS)
                        .map(x -> new TlsRptTarget(new TlsRptPolicy(TlsRptPolicy.Type.STS, domain, List.of(),
                                x.mxPatterns()), null))
                        .orElseGet(() -> noPolicy(domain))));
    }

    /** @return the target of a domain's sessions when no policy applies (no source, or none found) */
    static TlsRptTarget noPolicy(String domain) {
        return new TlsRptTarget(TlsRptPolicy.noPolicyFound(domain), null);
    }

    /** @return the target of sessions authenticated by (or made mandatory by) the MX host's TLSA records */
    static TlsRptTarget tlsa(String domain, String host, List<TlsaRecord> records) {
        List<String> strings = new ArrayList<>();
        for (TlsaRecord r : records) {
            strings.add(r.usage() + " " + r.selector() + " " + r.matchingType() + " "
                    + HexFormat.of().formatHex(r.data()).toLowerCase(Locale.ROOT));
        }
        return new TlsRptTarget(TlsRptPolicy.tlsa(domain, strings, host), null);
    }

    /**
     * A session handed to a send: reported the first time only (for each policy domain: a session shared by MX hosts
     * at one address carries the mail of several). Encrypted: a success (unless the policy could not
     * be had); in plaintext: {@code starttls-not-supported}, except the plaintext retry of level may, whose failed
     * handshake was reported already.
     */
    void established(PooledSession pooled, DestinationKey candidate) {
        TlsRptTarget target = candidate.tlsRpt();
        if (target == null || listener == TlsRptListener.NONE
                || !pooled.claimTlsRptReport(target.policy().policyDomain())) {
            return;
        }
        String ip = ip(pooled.remote());
        if (target.policyFailure() != null) {
            fire(target.policy(), TlsRptFailure.of(target.policyFailure(), candidate.host(), ip));
        } else if (pooled.session().tls().isPresent()) {
            fire(l -> l.sessionSucceeded(target.policy()));
        } else if (!candidate.isPlaintextRetry()) {
            fire(target.policy(), TlsRptFailure.of(TlsRptResultType.STARTTLS_NOT_SUPPORTED, candidate.host(), ip));
        }
    }

    /** A connection to the candidate failed: reported when TLS was what failed. */
    void failed(DestinationKey candidate, Throwable error) {
        TlsRptTarget target = candidate.tlsRpt();
        if (target == null || listener == TlsRptListener.NONE || !(error instanceof SmtpTlsException)) {
            return;
        }
        TlsRptResultType type = target.policyFailure() != null ? target.policyFailure()
                : resultType(error, target.policy().type() == TlsRptPolicy.Type.TLSA);
        fire(target.policy(), TlsRptFailure.of(type, candidate.host(), null));
    }

    private void fire(TlsRptPolicy policy, TlsRptFailure failure) {
        fire(l -> l.sessionFailed(policy, failure));
    }

    private void fire(Consumer<TlsRptListener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException | LinkageError ignored) {
            // A listener's bug must not fail a send.
        }
    }

    /**
     * @param error a TLS failure of an MX session
     * @param dane whether TLSA records authenticated it
     * @return its RFC 8460 result type: no cause is a missing or refused STARTTLS; expired dates, an untrusted
     *         chain, a name mismatch from the certificate checks; a DANE failure {@code tlsa-invalid}; anything
     *         else {@code validation-failure}
     */
    static TlsRptResultType resultType(Throwable error, boolean dane) {
        if (error.getCause() == null) {
            return TlsRptResultType.STARTTLS_NOT_SUPPORTED;
        }
        if (dane) {
            return TlsRptResultType.TLSA_INVALID;
        }
        for (Throwable t = error.getCause(), seen = null; t != null && t != seen; seen = t, t = t.getCause()) {
            if (t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException
                    || t instanceof CertPathValidatorException v
                    && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return TlsRptResultType.CERTIFICATE_EXPIRED;
            }
        }
        for (Throwable t = error.getCause(), seen = null; t != null && t != seen; seen = t, t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("No subject alternative") || m.contains("No name matching")) {
                return TlsRptResultType.CERTIFICATE_HOST_MISMATCH;
            }
            if (m.contains("PKIX path") || m.contains("unable to find valid certification path")
                    || t instanceof java.security.cert.CertPathBuilderException) {
                return TlsRptResultType.CERTIFICATE_NOT_TRUSTED;
            }
        }
        return TlsRptResultType.VALIDATION_FAILURE;
    }

    private static String ip(SocketAddress remote) {
        return remote instanceof InetSocketAddress a && a.getAddress() != null ? a.getAddress().getHostAddress() : null;
    }
}
