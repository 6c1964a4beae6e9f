package io.reactivesmtp.cli.probe;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonValue;
import io.reactivesmtp.TlsPolicy;
import java.util.List;

/**
 * What a probe found, as the JSON object of {@code probe --json} shows it (fields in this order); the
 * {@link JsonIgnore ignored} fields are details only the text report shows.
 *
 * <pre>{@code
 * {
 *   "server": "localhost:2525", "tlsPolicy": "REQUIRED", "connections": 1,
 *   "greeting": "220 mx.example.com ESMTP",
 *   "capabilities": {"beforeTls": ["PIPELINING", "SIZE 10240000", "STARTTLS"], "afterTls": ["PIPELINING", "AUTH PLAIN"]},
 *   "tlsStatus": "ESTABLISHED",
 *   "tls": {"protocol": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "provider": "JDK",
 *           "certificates": [{"subject": "CN=...", "issuer": "CN=...", "notBefore": "2025-01-01T00:00:00Z",
 *                             "notAfter": "...", "validNow": true, "subjectAltNames": ["DNS:localhost"],
 *                             "matchesHost": true}],
 *           "hostnameVerified": true},
 *   "auth": ["PLAIN"], "sizeLimit": 10240000,
 *   "error": null
 * }
 * }</pre>
 *
 * @param server the server as given
 * @param tlsPolicy the TLS policy
 * @param connections how many connections the probe opened: always 1
 * @param greeting the greeting, its lines as received joined by {@code \n}, or null when none came
 * @param capabilities what EHLO answered before and after TLS
 * @param tlsStatus what became of TLS
 * @param tls the TLS session and the chain presented; null unless TLS was attempted
 * @param auth the AUTH mechanisms of the last EHLO answered, or null when none was
 * @param sizeLimit the SIZE limit of the last EHLO answered, or null
 * @param error what ended the probe without meeting the policy, or null
 * @param host the host name the certificate is matched against (text only)
 * @param startTlsRefusal the server's answer to a refused STARTTLS, or null (text only)
 * @param sizeAdvertised whether the last EHLO answered advertised SIZE, with or without a limit (text only)
 */
@JsonPropertyOrder({"server", "tlsPolicy", "connections", "greeting", "capabilities", "tlsStatus", "tls", "auth",
    "sizeLimit", "error"})
public record ProbeResult(String server, TlsPolicy tlsPolicy, int connections, String greeting,
        CapabilityLists capabilities, TlsStatus tlsStatus, Tls tls, List<String> auth, Long sizeLimit,
        ProbeError error, @JsonIgnore String host, @JsonIgnore String startTlsRefusal,
        @JsonIgnore boolean sizeAdvertised) {

    /** The state of TLS at the end of the probe. */
    public enum TlsStatus {
        /** A TLS session was established and verified. */
        ESTABLISHED,
        /** The handshake or the verification of the certificate failed. */
        FAILED,
        /** The server did not advertise STARTTLS. */
        NOT_OFFERED,
        /** The server answered STARTTLS with an error. */
        REFUSED,
        /** {@code --tls none}: not attempted. */
        DISABLED,
        /** The session ended before TLS could be attempted (connection, greeting or EHLO failed). */
        NOT_REACHED
    }

    /**
     * @param beforeTls the EHLO answered in plaintext, or null (implicit TLS, or none answered)
     * @param afterTls the EHLO answered over TLS, or null
     */
    public record CapabilityLists(Ehlo beforeTls, Ehlo afterTls) {
    }

    /**
     * One positive EHLO (or HELO) answer; in JSON only its keyword lines.
     *
     * @param serverName the name the server gave in its first line
     * @param extended false when EHLO was refused and HELO answered (no keywords then)
     * @param keywords "KEYWORD params" in the server's order
     */
    public record Ehlo(@JsonIgnore String serverName, @JsonIgnore boolean extended, @JsonValue List<String> keywords) {
    }

    /**
     * @param protocol the TLS protocol, or null when the handshake or verification failed
     * @param cipherSuite the cipher suite, or null likewise
     * @param provider the TLS implementation, or null likewise
     * @param certificates the chain the server presented, leaf first, possibly empty
     * @param hostnameVerified whether the JDK's verification of chain and host name passed
     */
    @JsonPropertyOrder({"protocol", "cipherSuite", "provider", "certificates", "hostnameVerified"})
    public record Tls(String protocol, String cipherSuite, String provider, List<CertificateEntry> certificates,
            boolean hostnameVerified) {
    }

    /**
     * One certificate of the chain.
     *
     * @param subject the subject's distinguished name (RFC 2253)
     * @param issuer the issuer's distinguished name
     * @param notBefore start of validity, an ISO-8601 instant
     * @param notAfter end of validity
     * @param validNow whether the probe ran within the validity
     * @param validity {@code valid now}, {@code EXPIRED} or {@code NOT YET VALID} (text only)
     * @param subjectAltNames {@code DNS:name} and {@code IP:address} entries
     * @param matchesHost whether the names cover the host (RFC 6125); the leaf only, null (left out) for the others
     */
    @JsonPropertyOrder({"subject", "issuer", "notBefore", "notAfter", "validNow", "subjectAltNames", "matchesHost"})
    public record CertificateEntry(String subject, String issuer, String notBefore, String notAfter, boolean validNow,
            @JsonIgnore String validity, List<String> subjectAltNames,
            @JsonInclude(JsonInclude.Include.NON_NULL) Boolean matchesHost) {
    }

    /**
     * @param type the exception's simple class name, e.g. {@code SmtpTlsException}
     * @param message its message, empty when it has none
     * @param retryable whether retrying may help, for SMTP failures; null (left out) for others
     */
    @JsonPropertyOrder({"type", "message", "retryable"})
    public record ProbeError(String type, String message,
            @JsonInclude(JsonInclude.Include.NON_NULL) Boolean retryable) {
    }
}
