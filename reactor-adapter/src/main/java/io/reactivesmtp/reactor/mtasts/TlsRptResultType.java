package io.reactivesmtp.reactor.mtasts;

/** The result types of a failed session in a TLS-RPT report (RFC 8460 4.3), as the report writes them. */
public enum TlsRptResultType {
    /** The MX does not offer STARTTLS (a negotiation failure). */
    STARTTLS_NOT_SUPPORTED("starttls-not-supported"),
    /** The certificate does not match the host name the policy asks for. */
    CERTIFICATE_HOST_MISMATCH("certificate-host-mismatch"),
    /** The certificate has expired. */
    CERTIFICATE_EXPIRED("certificate-expired"),
    /** The certificate's chain does not lead to a trusted root. */
    CERTIFICATE_NOT_TRUSTED("certificate-not-trusted"),
    /** Any other failure to negotiate or validate TLS. */
    VALIDATION_FAILURE("validation-failure"),
    /** DANE: the TLSA records are unusable or invalid. */
    TLSA_INVALID("tlsa-invalid"),
    /** DANE: DNSSEC validation of the records failed. */
    DNSSEC_INVALID("dnssec-invalid"),
    /** DANE: the MX has TLSA records but the session could not be authenticated with them. */
    DANE_REQUIRED("dane-required"),
    /** MTA-STS: the policy could not be fetched (unreachable host, status, size, timeout, redirect). */
    STS_POLICY_FETCH_ERROR("sts-policy-fetch-error"),
    /** MTA-STS: the fetched policy is not valid. */
    STS_POLICY_INVALID("sts-policy-invalid"),
    /** MTA-STS: the policy host's certificate failed PKIX validation. */
    STS_WEBPKI_INVALID("sts-webpki-invalid");

    private final String value;

    TlsRptResultType(String value) {
        this.value = value;
    }

    /** @return the RFC 8460 name, e.g. {@code certificate-expired} */
    public String value() {
        return value;
    }
}
