package io.reactivesmtp.reactor.mtasts;

import io.reactivesmtp.reactor.internal.DnsNames;
import java.util.List;
import java.util.Objects;

/**
 * The policy a session was evaluated against, as a TLS-RPT report names it (RFC 8460 4.4): its type, its text,
 * the policy domain, the MX host patterns. Sessions under equal policies are counted together. Immutable.
 *
 * @param type {@code sts}, {@code tlsa} or {@code no-policy-found}
 * @param policyDomain the domain whose policy it is, lower case
 * @param policyStrings the policy: an MTA-STS policy's lines, or the TLSA records in presentation form
 * @param mxHosts the MX host patterns of an MTA-STS policy, or the MX host of a TLSA policy; may be empty
 */
public record TlsRptPolicy(Type type, String policyDomain, List<String> policyStrings, List<String> mxHosts) {

    /** The {@code policy-type} of RFC 8460 4.4. */
    public enum Type {
        /** An MTA-STS policy. */
        STS("sts"),
        /** DANE TLSA records. */
        TLSA("tlsa"),
        /** Neither. */
        NO_POLICY_FOUND("no-policy-found");

        private final String value;

        Type(String value) {
            this.value = value;
        }

        /** @return as the report writes it */
        public String value() {
            return value;
        }
    }

    /** Checks and copies the fields. */
    public TlsRptPolicy {
        Objects.requireNonNull(type, "type");
        policyDomain = DnsNames.canonical(policyDomain, "policy domain");
        policyStrings = List.copyOf(policyStrings);
        mxHosts = List.copyOf(mxHosts);
    }

    /**
     * @param domain the recipient domain
     * @param policy its MTA-STS policy (any mode)
     * @return the policy of sessions delivered under it
     */
    public static TlsRptPolicy sts(String domain, MtaStsPolicy policy) {
        return new TlsRptPolicy(Type.STS, domain, policy.policyLines(), policy.mxPatterns());
    }

    /**
     * @param domain the policy domain
     * @param tlsaRecords the TLSA records in presentation form, e.g. {@code "3 1 1 0c72ac70..."}
     * @param mxHost the MX host they are for
     * @return the policy of sessions authenticated by DANE
     */
    public static TlsRptPolicy tlsa(String domain, List<String> tlsaRecords, String mxHost) {
        return new TlsRptPolicy(Type.TLSA, domain, tlsaRecords, List.of(mxHost));
    }

    /**
     * @param domain the recipient domain
     * @return the policy of sessions to a domain that publishes neither MTA-STS nor DANE
     */
    public static TlsRptPolicy noPolicyFound(String domain) {
        return new TlsRptPolicy(Type.NO_POLICY_FOUND, domain, List.of(), List.of());
    }
}
