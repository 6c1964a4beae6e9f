package io.reactivesmtp.cli.probe;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.reactivesmtp.cli.probe.ProbeResult.CertificateEntry;
import io.reactivesmtp.cli.probe.ProbeResult.ProbeError;
import java.util.List;

/**
 * What {@code probe --mx DOMAIN} found, and its JSON object ({@code --json}):
 *
 * <pre>{@code
 * {"domain": "example.com", "tlsLevel": "dane", "dnssecTrusted": true, "mxDnssecValidated": true,
 *  "mtaSts": {"status": "enforce", "id": "20260101", "mx": ["mx.example.com"], "maxAgeSeconds": 86400,
 *             "source": "FETCHED"},
 *  "hosts": [{"host": "mx.example.com", "preference": 10, "addresses": ["192.0.2.1"],
 *             "tlsa": {"status": "VALIDATED", "records": [{"usage": 3, "selector": 1, "matchingType": 1,
 *                      "data": "8f1e...", "usable": true}]},
 *             "level": "dane", "source": "DANE", "encrypted": true, "authenticated": true,
 *             "tlsProtocol": "TLSv1.3", ...}],
 *  "reachable": 1}
 * }</pre>
 *
 * @param domain the recipient domain, in A-labels
 * @param tlsLevel the level asked for ({@code --tls-level}, default {@code dane})
 * @param dnssecTrusted whether the DNS server's AD bit is believed (on loopback): without it no DANE
 * @param mxDnssecValidated whether the MX answer was DNSSEC-validated (RFC 7672 §2.2.1); null without MX hosts
 * @param mtaSts the domain's MTA-STS policy, or why there is none
 * @param hosts the MX hosts in preference order
 * @param reachable how many hosts took EHLO (and STARTTLS where their level demands it)
 * @param error why the domain could not be probed (NXDOMAIN, null MX, DNS failure), or null
 */
@JsonPropertyOrder({"domain", "tlsLevel", "dnssecTrusted", "mxDnssecValidated", "mtaSts", "hosts", "reachable",
    "error"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MxProbeResult(String domain, String tlsLevel, boolean dnssecTrusted, Boolean mxDnssecValidated,
        Policy mtaSts, List<Host> hosts, int reachable, ProbeError error) {

    /**
     * @param status {@code enforce}, {@code testing}, {@code none} (a policy in mode none, or none found),
     *        {@code off} ({@code --no-mta-sts}) or {@code error} (a failure, no cached policy)
     * @param id the policy's id, or null
     * @param mx the policy's mx patterns, or null
     * @param maxAgeSeconds its max_age, or null
     * @param source {@code FETCHED}, {@code CACHED} or {@code NONE}; null when off
     * @param failure what failed on the way (also when a cached policy still applies), or null
     */
    @JsonPropertyOrder({"status", "id", "mx", "maxAgeSeconds", "source", "failure"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Policy(String status, String id, List<String> mx, Long maxAgeSeconds, String source,
            String failure) {
    }

    /**
     * One MX host and what its TLS level made of it.
     *
     * @param host the MX host name
     * @param preference its MX preference
     * @param addresses its addresses (the first was probed)
     * @param tlsa its TLSA records for the MX port
     * @param level the level in force for it, or null when it is not used (see error)
     * @param source what set the level ({@code DANE}, {@code MTA_STS}, {@code CONFIGURED}, {@code NONE}), or null
     * @param encrypted whether the probe's session ran over TLS
     * @param authenticated whether the certificate was authenticated (DANE, verify, secure)
     * @param plaintextAfterFailedHandshake whether level may's plaintext retry was what worked
     * @param tlsProtocol the TLS protocol, or null
     * @param cipherSuite the cipher suite, or null
     * @param certificates the chain presented, leaf first (empty when the handshake failed or no TLS)
     * @param capabilities the EHLO keywords of the last EHLO answered
     * @param error why the host was not used or not reached, or null
     */
    @JsonPropertyOrder({"host", "preference", "addresses", "tlsa", "level", "source", "encrypted", "authenticated",
        "plaintextAfterFailedHandshake", "tlsProtocol", "cipherSuite", "certificates", "capabilities", "error"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Host(String host, int preference, List<String> addresses, Tlsa tlsa, String level, String source,
            boolean encrypted, boolean authenticated, boolean plaintextAfterFailedHandshake, String tlsProtocol,
            String cipherSuite, List<CertificateEntry> certificates, List<String> capabilities, ProbeError error) {
    }

    /**
     * @param status {@code VALIDATED} (AD from a trusted resolver), {@code UNVALIDATED} (counts as none),
     *        {@code NONE} or {@code ERROR} (the lookup failed: DANE would skip the host)
     * @param records the records as found, usable or not
     * @param usedForDane whether DANE applies to the host (validated records of a host of a validated MX answer,
     *        level dane)
     * @param error why the lookup failed, or null
     */
    @JsonPropertyOrder({"status", "records", "usedForDane", "error"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Tlsa(String status, List<TlsaEntry> records, boolean usedForDane, String error) {
    }

    /**
     * @param usage certificate usage (2 DANE-TA, 3 DANE-EE; others unusable for SMTP)
     * @param selector 0 full certificate, 1 SubjectPublicKeyInfo
     * @param matchingType 0 exact, 1 SHA-256, 2 SHA-512
     * @param data the association data, hex
     * @param usable whether SMTP can use it (RFC 7672 §3.1)
     */
    @JsonPropertyOrder({"usage", "selector", "matchingType", "data", "usable"})
    public record TlsaEntry(int usage, int selector, int matchingType, String data, boolean usable) {
    }
}
