package io.reactivesmtp.reactor.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** {@link TlsReporting}: counts per policy and the RFC 8460 JSON report, read back with Jackson. */
class TlsReportingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant START = Instant.parse("2016-04-01T00:00:00Z");
    private static final Instant END = Instant.parse("2016-04-01T23:59:59Z");

    private final AtomicInteger ids = new AtomicInteger();
    private final TlsReporting reporting = new TlsReporting(() -> "5065427c-23d3-47ca-b6e0-946ea0e8c4be-"
            + ids.incrementAndGet());

    /** The example of RFC 8460 4.8, with mx-host as an array (its text and erratum 6241). */
    @Test
    void writesTheRfcExample() throws IOException {
        MtaStsPolicy sts = MtaStsPolicy.parse("1", "version: STSv1\nmode: testing\nmx: *.mail.company-y.example\n"
                + "max_age: 86400\n");
        TlsRptPolicy policy = TlsRptPolicy.sts("company-y.example", sts);
        for (int i = 0; i < 5326; i++) {
            reporting.sessionSucceeded(policy);
        }
        TlsRptFailure expired = new TlsRptFailure(TlsRptResultType.CERTIFICATE_EXPIRED, "2001:db8:abcd:0012::1",
                "mx1.mail.company-y.example", null, null, null, null);
        TlsRptFailure noStarttls = new TlsRptFailure(TlsRptResultType.STARTTLS_NOT_SUPPORTED,
                "2001:db8:abcd:0013::1", "mx2.mail.company-y.example", null, "203.0.113.56", null,
                "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported");
        TlsRptFailure validation = new TlsRptFailure(TlsRptResultType.VALIDATION_FAILURE, "198.51.100.62",
                "mx-backup.mail.company-y.example", null, "203.0.113.58", "X509_V_ERR_PROOF_OF_POSSESSION", null);
        for (int i = 0; i < 100; i++) {
            reporting.sessionFailed(policy, expired);
        }
        for (int i = 0; i < 200; i++) {
            reporting.sessionFailed(policy, noStarttls);
        }
        for (int i = 0; i < 3; i++) {
            reporting.sessionFailed(policy, validation);
        }

        TlsRptReport report = reporting.report("company-y.example", START, END, "Company-X",
                "sts-reporting@company-x.example").orElseThrow();

        JsonNode expected = JSON.readTree("""
                {
                  "organization-name": "Company-X",
                  "date-range": {
                    "start-datetime": "2016-04-01T00:00:00Z",
                    "end-datetime": "2016-04-01T23:59:59Z"
                  },
                  "contact-info": "sts-reporting@company-x.example",
                  "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be-1",
                  "policies": [{
                    "policy": {
                      "policy-type": "sts",
                      "policy-string": ["version: STSv1","mode: testing",
                            "mx: *.mail.company-y.example","max_age: 86400"],
                      "policy-domain": "company-y.example",
                      "mx-host": ["*.mail.company-y.example"]
                    },
                    "summary": {
                      "total-successful-session-count": 5326,
                      "total-failure-session-count": 303
                    },
                    "failure-details": [{
                      "result-type": "certificate-expired",
                      "sending-mta-ip": "2001:db8:abcd:0012::1",
                      "receiving-mx-hostname": "mx1.mail.company-y.example",
                      "failed-session-count": 100
                    }, {
                      "result-type": "starttls-not-supported",
                      "sending-mta-ip": "2001:db8:abcd:0013::1",
                      "receiving-mx-hostname": "mx2.mail.company-y.example",
                      "receiving-ip": "203.0.113.56",
                      "failed-session-count": 200,
                      "additional-information": "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported"
                    }, {
                      "result-type": "validation-failure",
                      "sending-mta-ip": "198.51.100.62",
                      "receiving-ip": "203.0.113.58",
                      "receiving-mx-hostname": "mx-backup.mail.company-y.example",
                      "failed-session-count": 3,
                      "failure-reason-code": "X509_V_ERR_PROOF_OF_POSSESSION"
                    }]
                  }]
                }
                """);
        JsonNode actual = JSON.readTree(report.json());
        assertThat(actual).isEqualTo(expected);
        // Field by field, as a receiver's parser reads them.
        assertThat(actual.get("date-range").get("start-datetime").asText()).isEqualTo("2016-04-01T00:00:00Z");
        JsonNode p = actual.get("policies").get(0);
        assertThat(p.get("policy").get("policy-type").asText()).isEqualTo("sts");
        assertThat(p.get("policy").get("mx-host").isArray()).isTrue();
        assertThat(p.get("summary").get("total-failure-session-count").isIntegralNumber()).isTrue();
        assertThat(p.get("failure-details").get(1).get("failed-session-count").asLong()).isEqualTo(200);
        assertThat(p.get("failure-details").get(0).has("receiving-ip")).isFalse();
        assertThat(report.reportId()).isEqualTo("5065427c-23d3-47ca-b6e0-946ea0e8c4be-1");
    }

    @Test
    void separatesDomainsAndPoliciesAndDrainsAtomically() throws IOException {
        MtaStsPolicy v1 = MtaStsPolicy.of("1", MtaStsPolicy.Mode.ENFORCE, List.of("mx.a.example"), Duration.ofDays(1));
        MtaStsPolicy v2 = MtaStsPolicy.of("2", MtaStsPolicy.Mode.ENFORCE, List.of("mx2.a.example"), Duration.ofDays(1));
        reporting.sessionSucceeded(TlsRptPolicy.sts("a.example", v1));
        reporting.sessionSucceeded(TlsRptPolicy.sts("A.example.", v1)); // same domain, canonical
        reporting.sessionSucceeded(TlsRptPolicy.sts("a.example", v2));
        reporting.sessionFailed(TlsRptPolicy.noPolicyFound("b.example"),
                TlsRptFailure.of(TlsRptResultType.STARTTLS_NOT_SUPPORTED, "mx.b.example", "192.0.2.7"));
        reporting.sessionSucceeded(TlsRptPolicy.tlsa("c.example", List.of("3 1 1 abcd"), "mx.c.example"));
        assertThat(reporting.policyDomains()).containsExactly("a.example", "b.example", "c.example");

        List<TlsRptReport> reports = reporting.drain(START, END, "Sender", "mailto:tlsrpt@sender.example");
        assertThat(reports).extracting(TlsRptReport::policyDomain).containsExactly("a.example", "b.example",
                "c.example");
        assertThat(reporting.policyDomains()).isEmpty();
        assertThat(reporting.report("a.example", START, END, "Sender", "x")).isEmpty();

        JsonNode a = JSON.readTree(reports.get(0).json());
        assertThat(a.get("policies")).hasSize(2);
        assertThat(a.get("policies").get(0).get("summary").get("total-successful-session-count").asLong()).isEqualTo(2);
        assertThat(a.get("policies").get(0).get("policy").get("mx-host").get(0).asText()).isEqualTo("mx.a.example");
        assertThat(a.get("policies").get(1).get("policy").get("mx-host").get(0).asText()).isEqualTo("mx2.a.example");
        assertThat(a.get("policies").get(0).get("failure-details")).isEmpty();

        JsonNode b = JSON.readTree(reports.get(1).json()).get("policies").get(0);
        assertThat(b.get("policy").get("policy-type").asText()).isEqualTo("no-policy-found");
        assertThat(b.get("policy").get("policy-string")).isEmpty();
        assertThat(b.get("policy").has("mx-host")).isFalse();
        assertThat(b.get("failure-details").get(0).get("result-type").asText()).isEqualTo("starttls-not-supported");
        assertThat(b.get("failure-details").get(0).get("receiving-ip").asText()).isEqualTo("192.0.2.7");

        JsonNode c = JSON.readTree(reports.get(2).json()).get("policies").get(0).get("policy");
        assertThat(c.get("policy-type").asText()).isEqualTo("tlsa");
        assertThat(c.get("policy-string").get(0).asText()).isEqualTo("3 1 1 abcd");
        // Each report its own id.
        assertThat(reports).extracting(TlsRptReport::reportId).doesNotHaveDuplicates();
    }

    @Test
    void gzipsAndNamesTheFileAsRfc8460Says() throws IOException {
        reporting.sessionSucceeded(TlsRptPolicy.noPolicyFound("d.example"));
        TlsRptReport r = reporting.drain(START, END, "Sender", "mailto:x@sender.example").get(0);
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(r.gzipped()))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(r.json());
        }
        assertThat(r.fileName("sender.example")).isEqualTo("sender.example!d.example!1459468800!1459555199!"
                + r.reportId() + ".json.gz");
    }

    @Test
    void everyResultTypeHasItsRfcName() {
        assertThat(TlsRptResultType.values()).extracting(TlsRptResultType::value).containsExactly(
                "starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
                "certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid", "dane-required",
                "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid");
        assertThat(MtaStsFailure.Kind.POLICY_INVALID.name()).isNotNull();
        assertThat(new MtaStsFailure(MtaStsFailure.Kind.WEBPKI_INVALID, "x").resultType())
                .contains(TlsRptResultType.STS_WEBPKI_INVALID);
        assertThat(new MtaStsFailure(MtaStsFailure.Kind.DNS_ERROR, "x").resultType()).isEmpty();
    }

    @Test
    void refusesAPeriodThatEndsBeforeItStarts() {
        assertThatThrownBy(() -> reporting.drain(END, START, "o", "c"))
                .hasMessageContaining("ends (2016-04-01T00:00:00Z) before it starts");
    }
}
