package io.reactivesmtp.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.cli.probe.ProbeResult.CapabilityLists;
import io.reactivesmtp.cli.probe.ProbeResult.CertificateEntry;
import io.reactivesmtp.cli.probe.ProbeResult.Ehlo;
import io.reactivesmtp.cli.probe.ProbeResult.ProbeError;
import io.reactivesmtp.cli.probe.ProbeResult.Tls;
import io.reactivesmtp.cli.probe.ProbeResult.TlsStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON of a {@link ProbeResult}, parsed back with Jackson: the fields, their order, nulls and text-only parts. */
class ProbeResultJsonTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final CertificateEntry LEAF = new CertificateEntry("CN=mx.example.com", "CN=Test CA",
            "2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z", true, "valid now",
            List.of("DNS:mx.example.com", "IP:127.0.0.1"), true);
    private static final CertificateEntry CA = new CertificateEntry("CN=Test CA", "CN=Test CA",
            "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", false, "EXPIRED", List.of(), null);

    private static ProbeResult established() {
        return new ProbeResult("mx.example.com:587", TlsPolicy.REQUIRED, 1, "220-mx.example.com\n220 ESMTP ready",
                new CapabilityLists(new Ehlo("mx.example.com", true, List.of("PIPELINING", "SIZE 1000", "STARTTLS")),
                        new Ehlo("mx.example.com", true, List.of("SIZE 10240000", "AUTH PLAIN LOGIN"))),
                TlsStatus.ESTABLISHED, new Tls("TLSv1.3", "TLS_AES_128_GCM_SHA256", "JDK", List.of(LEAF, CA), true),
                List.of("LOGIN", "PLAIN"), 10240000L, null, "mx.example.com", null, true);
    }

    private static JsonNode json(ProbeResult result) throws Exception {
        return MAPPER.readTree(ProbeJson.write(result));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void anEstablishedSessionHasEveryFieldInOrder() throws Exception {
        JsonNode json = json(established());

        assertThat(fieldNames(json)).containsExactly("server", "tlsPolicy", "connections", "greeting",
                "capabilities", "tlsStatus", "tls", "auth", "sizeLimit", "error");
        assertThat(json.get("server").asText()).isEqualTo("mx.example.com:587");
        assertThat(json.get("tlsPolicy").asText()).isEqualTo("REQUIRED");
        assertThat(json.get("connections").asInt()).isEqualTo(1);
        assertThat(json.get("greeting").asText()).isEqualTo("220-mx.example.com\n220 ESMTP ready");
        assertThat(MAPPER.convertValue(json.at("/capabilities/beforeTls"), List.class))
                .containsExactly("PIPELINING", "SIZE 1000", "STARTTLS");
        assertThat(MAPPER.convertValue(json.at("/capabilities/afterTls"), List.class))
                .containsExactly("SIZE 10240000", "AUTH PLAIN LOGIN");
        assertThat(json.get("tlsStatus").asText()).isEqualTo("ESTABLISHED");
        assertThat(fieldNames(json.get("tls")))
                .containsExactly("protocol", "cipherSuite", "provider", "certificates", "hostnameVerified");
        assertThat(json.at("/tls/protocol").asText()).isEqualTo("TLSv1.3");
        assertThat(json.at("/tls/hostnameVerified").asBoolean()).isTrue();
        assertThat(MAPPER.convertValue(json.get("auth"), List.class)).containsExactly("LOGIN", "PLAIN");
        assertThat(json.get("sizeLimit").asLong()).isEqualTo(10240000L);
        assertThat(json.get("error").isNull()).isTrue();
    }

    @Test
    void certificatesShowMatchesHostOnTheLeafOnlyAndNoTextOnlyField() throws Exception {
        JsonNode certs = json(established()).at("/tls/certificates");

        assertThat(certs).hasSize(2);
        assertThat(fieldNames(certs.get(0))).containsExactly("subject", "issuer", "notBefore", "notAfter",
                "validNow", "subjectAltNames", "matchesHost");
        assertThat(certs.get(0).get("matchesHost").asBoolean()).isTrue();
        assertThat(MAPPER.convertValue(certs.get(0).get("subjectAltNames"), List.class))
                .containsExactly("DNS:mx.example.com", "IP:127.0.0.1");
        assertThat(fieldNames(certs.get(1))).doesNotContain("matchesHost", "validity");
        assertThat(certs.get(1).get("validNow").asBoolean()).isFalse();
        assertThat(ProbeJson.write(established())).doesNotContain("\"host\"", "startTlsRefusal", "sizeAdvertised",
                "serverName", "extended", "validity");
    }

    @Test
    void aFailedProbeHasNullsAndTheError() throws Exception {
        ProbeResult failed = new ProbeResult("mx.example.com:25", TlsPolicy.REQUIRED, 1, null,
                new CapabilityLists(null, null), TlsStatus.NOT_REACHED, null, null, null,
                new ProbeError("SmtpConnectionException", "cannot connect", true), "mx.example.com", null, false);
        JsonNode json = json(failed);

        assertThat(json.get("greeting").isNull()).isTrue();
        assertThat(json.at("/capabilities/beforeTls").isNull()).isTrue();
        assertThat(json.at("/capabilities/afterTls").isNull()).isTrue();
        assertThat(json.get("tls").isNull()).isTrue();
        assertThat(json.get("auth").isNull()).isTrue();
        assertThat(json.get("sizeLimit").isNull()).isTrue();
        assertThat(fieldNames(json.get("error"))).containsExactly("type", "message", "retryable");
        assertThat(json.at("/error/type").asText()).isEqualTo("SmtpConnectionException");
        assertThat(json.at("/error/retryable").asBoolean()).isTrue();

        ProbeError notSmtp = new ProbeError("TimeoutException", "no answer", null);
        JsonNode other = json(new ProbeResult("h:25", TlsPolicy.NONE, 1, null, new CapabilityLists(null, null),
                TlsStatus.DISABLED, null, null, null, notSmtp, "h", null, false));
        assertThat(fieldNames(other.get("error"))).containsExactly("type", "message");
    }

    @Test
    void untrustedTextIsEscapedToAsciiAndReadsBackTheSame() throws Exception {
        String hostile = "220 mx \u202eevil\u0000 \"quoted\" b\u00fccher\r\n";
        ProbeResult result = new ProbeResult("mx:25", TlsPolicy.NONE, 1, hostile, new CapabilityLists(null, null),
                TlsStatus.DISABLED, null, null, null, null, "mx", null, false);
        String text = ProbeJson.write(result);

        assertThat(text.chars()).allMatch(c -> c < 0x7f);
        assertThat(text).contains("\\u202E", "\\u0000");
        assertThat(MAPPER.readTree(text).get("greeting").asText()).isEqualTo(hostile);
    }
}
