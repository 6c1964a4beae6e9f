package io.reactivesmtp.reactor.mtasts;

import java.util.Objects;

/**
 * One failed session's details, as a TLS-RPT report's {@code failure-details} group them (RFC 8460 4.4):
 * failures with equal details are counted together. Every field but the result type may be null (left out of
 * the report). Immutable.
 *
 * @param resultType why the session failed
 * @param sendingMtaIp the IP address the session came from
 * @param receivingMxHostname the MX host connected to
 * @param receivingMxHelo the name the MX gave in its greeting
 * @param receivingIp the MX's IP address
 * @param failureReasonCode a code for people, e.g. an OpenSSL or JDK error name
 * @param additionalInformation a URI with more about the failure
 */
public record TlsRptFailure(TlsRptResultType resultType, String sendingMtaIp, String receivingMxHostname,
        String receivingMxHelo, String receivingIp, String failureReasonCode, String additionalInformation) {

    /** Checks the result type is given. */
    public TlsRptFailure {
        Objects.requireNonNull(resultType, "resultType");
    }

    /**
     * @param resultType why the session failed
     * @param receivingMxHostname the MX host connected to, or null
     * @param receivingIp the MX's IP address, or null
     * @return the details, the other fields null
     */
    public static TlsRptFailure of(TlsRptResultType resultType, String receivingMxHostname, String receivingIp) {
        return new TlsRptFailure(resultType, null, receivingMxHostname, null, receivingIp, null, null);
    }
}
