package io.reactivesmtp.reactor.mtasts;

import java.util.Objects;
import java.util.Optional;

/**
 * Why no MTA-STS policy could be had for a domain (or why a cached one is being used): a typed kind, the
 * TLS-RPT result type it counts as, and a message naming the domain and the cause. Immutable.
 *
 * @param kind what went wrong
 * @param message for people: the domain, the URL or record, the cause
 */
public record MtaStsFailure(Kind kind, String message) {

    /** What went wrong. */
    public enum Kind {
        /** No DNS server answered the {@code _mta-sts} TXT query (timeout, SERVFAIL). */
        DNS_ERROR(null),
        /** Several {@code v=STSv1} TXT records, or a malformed one: the domain has no available policy. */
        TXT_INVALID(null),
        /** The policy host could not be reached or the connection failed (not a certificate problem). */
        CONNECT_FAILED(TlsRptResultType.STS_POLICY_FETCH_ERROR),
        /** The fetch did not complete in time. */
        TIMEOUT(TlsRptResultType.STS_POLICY_FETCH_ERROR),
        /** The server answered with a redirect, which RFC 8461 3.3 forbids following. */
        REDIRECT(TlsRptResultType.STS_POLICY_FETCH_ERROR),
        /** The server answered a status other than 200. */
        HTTP_STATUS(TlsRptResultType.STS_POLICY_FETCH_ERROR),
        /** The policy was not served as {@code text/plain}. */
        CONTENT_TYPE(TlsRptResultType.STS_POLICY_FETCH_ERROR),
        /** The policy is larger than 64 KiB. */
        TOO_LARGE(TlsRptResultType.STS_POLICY_FETCH_ERROR),
        /** The policy host's certificate is not valid for {@code mta-sts.<domain>} (chain, name or dates). */
        WEBPKI_INVALID(TlsRptResultType.STS_WEBPKI_INVALID),
        /** The policy text is not a valid policy. */
        POLICY_INVALID(TlsRptResultType.STS_POLICY_INVALID);

        private final TlsRptResultType resultType;

        Kind(TlsRptResultType resultType) {
            this.resultType = resultType;
        }
    }

    /** Checks both fields are given. */
    public MtaStsFailure {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    /**
     * @return the TLS-RPT result type this failure counts as; empty for DNS and TXT problems, after which the
     *         domain counts as having no policy ({@code no-policy-found})
     */
    public Optional<TlsRptResultType> resultType() {
        return Optional.ofNullable(kind.resultType);
    }
}
