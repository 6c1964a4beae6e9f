package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.reactivesmtp.reactor.CliTestDns;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bulk --mx --tls-rpt-out FILE}, in-process, against the test DNS server and a loopback MX with a
 * self-signed certificate: the run's TLS-RPT report (RFC 8460) per recipient domain, with the rua its
 * {@code _smtp._tls} record gives.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TlsRptCliTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private String[] bulk(CliTestDns dns, ScriptedSmtpServer mx, String... extra) throws Exception {
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), "user@example.test\n");
        Path body = Files.writeString(dir.resolve("message.eml"),
                "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n");
        return Stream.concat(Stream.of("--mx", "--no-mta-sts", "--dns-server", "127.0.0.1:" + dns.address().getPort(),
                "--mx-port", Integer.toString(mx.port()), "--from", "news@example.com",
                "--recipients", recipients.toString(), "--body", body.toString()), Stream.of(extra))
                .toArray(String[]::new);
    }

    private static JsonNode onlyReport(Path file) throws Exception {
        JsonNode reports = JsonMapper.builder().build().readTree(Files.readString(file)).get("reports");
        assertThat(reports).hasSize(1);
        return reports.get(0);
    }

    @Test
    void aDaneDeliveryIsCountedUnderItsTlsaPolicyWithTheDomainsRua() throws Exception {
        byte[] spki = MessageDigest.getInstance("SHA-256")
                .digest(TestPki.selfSigned().certificate().getPublicKey().getEncoded());
        Path out = dir.resolve("tlsrpt.json");
        try (CliTestDns dns = CliTestDns.start();
                ScriptedSmtpServer mx = ScriptedSmtpServer.start(MxTlsLevelCliTest.selfSignedMx())) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1")
                    .tlsa("_" + mx.port() + "._tcp.mx.example.test", 3, 1, 1, spki)
                    .txt("_smtp._tls.example.test", "v=TLSRPTv1; rua=mailto:tlsrpt@example.test");
            dns.authenticData(true);
            BulkCommandTest.Run run = BulkCommandTest.run(bulk(dns, mx, "--tls-rpt-out", out.toString()));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            mx.awaitScriptDone(WAIT);

            JsonNode r = onlyReport(out);
            assertThat(r.get("policyDomain").asText()).isEqualTo("example.test");
            assertThat(r.get("rua").get(0).asText()).isEqualTo("mailto:tlsrpt@example.test");
            assertThat(r.get("fileName").asText()).startsWith("example.com!example.test!").endsWith(".json.gz");
            JsonNode report = r.get("report");
            assertThat(report.get("organization-name").asText()).isEqualTo("example.com");
            assertThat(report.get("contact-info").asText()).isEqualTo("mailto:news@example.com");
            JsonNode policy = report.get("policies").get(0);
            assertThat(policy.get("policy").get("policy-type").asText()).isEqualTo("tlsa");
            assertThat(policy.get("policy").get("policy-domain").asText()).isEqualTo("example.test");
            assertThat(policy.get("summary").get("total-successful-session-count").asInt()).isEqualTo(1);
            assertThat(policy.get("summary").get("total-failure-session-count").asInt()).isZero();
        }
    }

    @Test
    void aFailedSessionIsCountedAndADomainWithoutRecordHasNoRua() throws Exception {
        byte[] other = MessageDigest.getInstance("SHA-256")
                .digest(TestPki.good().certificate().getPublicKey().getEncoded());
        Path out = dir.resolve("tlsrpt.json");
        try (CliTestDns dns = CliTestDns.start();
                ScriptedSmtpServer mx = ScriptedSmtpServer.start(MxTlsLevelCliTest.selfSignedMx())) {
            // DANE-EE for another key: the self-signed MX fails the handshake, nothing is delivered.
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1")
                    .tlsa("_" + mx.port() + "._tcp.mx.example.test", 3, 1, 1, other);
            dns.authenticData(true);
            BulkCommandTest.Run run = BulkCommandTest.run(bulk(dns, mx, "--tls-rpt-out", out.toString()));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(mx.dataCount()).isZero();

            JsonNode r = onlyReport(out);
            assertThat(r.get("rua")).isEmpty();
            JsonNode policy = r.get("report").get("policies").get(0);
            assertThat(policy.get("policy").get("policy-type").asText()).isEqualTo("tlsa");
            assertThat(policy.get("summary").get("total-successful-session-count").asInt()).isZero();
            assertThat(policy.get("summary").get("total-failure-session-count").asInt()).isPositive();
            assertThat(policy.get("failure-details").get(0).get("receiving-mx-hostname").asText())
                    .isEqualTo("mx.example.test");
        }
    }

    @Test
    void theOptionNeedsMxAndAnUnwritableFileIsReported() throws Exception {
        try (CliTestDns dns = CliTestDns.start();
                ScriptedSmtpServer mx = ScriptedSmtpServer.start(MxTlsLevelCliTest.selfSignedMx())) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1");
            String[] args = bulk(dns, mx, "--tls-rpt-out", dir.resolve("no/such/dir/r.json").toString());
            BulkCommandTest.Run unwritable = BulkCommandTest.run(args);
            assertThat(unwritable.code()).as(unwritable.toString()).isEqualTo(ExitCodes.OK);
            assertThat(unwritable.err()).startsWith("reactive-smtp bulk: --tls-rpt-out: cannot write "
                    + dir.resolve("no/such/dir/r.json"));
            mx.awaitScriptDone(WAIT);

            BulkCommandTest.Run stray = BulkCommandTest.run("--tls-rpt-out", "r.json", "--from", "a@b.test",
                    "--recipients", dir.resolve("recipients.txt").toString(), "--body",
                    dir.resolve("message.eml").toString());
            assertThat(stray.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(stray.err()).startsWith("reactive-smtp bulk: --tls-rpt-out needs --mx");
        }
    }
}
