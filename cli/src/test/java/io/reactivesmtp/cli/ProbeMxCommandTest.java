package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.reactivesmtp.reactor.CliPolicyServer;
import io.reactivesmtp.reactor.CliTestDns;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.TestPki;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code probe --mx DOMAIN}, in-process, against the test DNS server (which sets the AD bit when told to), an
 * in-JVM MTA-STS policy server and scripted MX hosts on loopback: a DANE host, an enforced policy naming another
 * host, a self-signed host at level may, and the domains that cannot be probed. Every transcript ends in QUIT,
 * never MAIL.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProbeMxCommandTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** STARTTLS with this certificate, EHLO again, QUIT: what a probe may do, and nothing else. */
    static Script tlsMx(TestPki.Credential cert) {
        return Script.create().send("220 mx.example.test ESMTP")
                .expect("EHLO client.test").send("250-mx.example.test", "250-SIZE 1000", "250 STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 ready")
                .startTls(TestPki.serverContext(cert))
                .expect("EHLO client.test").send("250-mx.example.test", "250 SIZE 2000")
                .expect("QUIT").send("221 bye").close();
    }

    static String[] probe(CliTestDns dns, ScriptedSmtpServer mx, String domain, String... extra) {
        return Stream.concat(Stream.of("probe", "--mx", domain, "--dns-server", "127.0.0.1:" + dns.address().getPort(),
                "--mx-port", Integer.toString(mx.port()), "--helo", "client.test", "--timeout-seconds", "5"),
                Stream.of(extra)).toArray(String[]::new);
    }

    private static void assertOnlyEhloStartTlsQuit(ScriptedSmtpServer mx) {
        mx.awaitScriptDone(WAIT);
        assertThat(mx.linesReceived(0)).containsExactly("EHLO client.test", "STARTTLS", "EHLO client.test", "QUIT");
        assertThat(mx.failures()).isEmpty();
    }

    private static byte[] spki(TestPki.Credential cert) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(cert.certificate().getPublicKey().getEncoded());
    }

    @Test
    void aDaneHostIsAuthenticatedByItsTlsaRecordAndShownAsJson() throws Exception {
        TestPki.Credential cert = TestPki.selfSigned();
        try (CliTestDns dns = CliTestDns.start(); ScriptedSmtpServer mx = ScriptedSmtpServer.start(tlsMx(cert))) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1")
                    .tlsa("_" + mx.port() + "._tcp.mx.example.test", 3, 1, 1, spki(cert));
            dns.authenticData(true);
            ProbeCommandTest.Run run = ProbeCommandTest.run(probe(dns, mx, "example.test", "--no-mta-sts", "--json"));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            JsonNode json = JsonMapper.builder().build().readTree(run.out());
            assertThat(json.get("domain").asText()).isEqualTo("example.test");
            assertThat(json.get("tlsLevel").asText()).isEqualTo("dane");
            assertThat(json.get("mxDnssecValidated").asBoolean()).isTrue();
            assertThat(json.get("mtaSts").get("status").asText()).isEqualTo("off");
            JsonNode host = json.get("hosts").get(0);
            assertThat(host.get("host").asText()).isEqualTo("mx.example.test");
            assertThat(host.get("preference").asInt()).isEqualTo(10);
            assertThat(host.get("tlsa").get("status").asText()).isEqualTo("VALIDATED");
            assertThat(host.get("tlsa").get("usedForDane").asBoolean()).isTrue();
            assertThat(host.get("tlsa").get("records").get(0).get("usable").asBoolean()).isTrue();
            assertThat(host.get("level").asText()).isEqualTo("dane");
            assertThat(host.get("source").asText()).isEqualTo("DANE");
            assertThat(host.get("encrypted").asBoolean()).isTrue();
            assertThat(host.get("authenticated").asBoolean()).isTrue();
            assertThat(host.get("capabilities").get(0).asText()).isEqualTo("SIZE 2000");
            assertThat(json.get("reachable").asInt()).isEqualTo(1);
            assertOnlyEhloStartTlsQuit(mx);
        }
    }

    @Test
    void tlsaBehindAnUnvalidatedMxAnswerIsShownButNotUsed() throws Exception {
        TestPki.Credential cert = TestPki.selfSigned();
        try (CliTestDns dns = CliTestDns.start(); ScriptedSmtpServer mx = ScriptedSmtpServer.start(tlsMx(cert))) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1")
                    .tlsa("_" + mx.port() + "._tcp.mx.example.test", 3, 1, 1, spki(cert)).unsigned("example.test");
            dns.authenticData(true);
            ProbeCommandTest.Run run = ProbeCommandTest.run(probe(dns, mx, "example.test", "--no-mta-sts"));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("mx:           not DNSSEC-validated (DANE does not apply",
                    "  10 mx.example.test\n", "mta-sts:      off (--no-mta-sts)",
                    "  tlsa:       1 record(s), DNSSEC-validated (AD), not used for DANE",
                    "    3 1 1 ", "(usable)", "  level:      may (NONE), encrypted\n",
                    "result:       OK, 1 of 1 MX hosts reached at their TLS level");
            assertOnlyEhloStartTlsQuit(mx);
        }
    }

    @Test
    void aSelfSignedHostAtLevelMayIsEncryptedNotAuthenticated() throws Exception {
        try (CliTestDns dns = CliTestDns.start();
                ScriptedSmtpServer mx = ScriptedSmtpServer.start(tlsMx(TestPki.selfSigned()))) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1");
            ProbeCommandTest.Run run = ProbeCommandTest.run(probe(dns, mx, "example.test", "--tls-level", "may"));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("tls level:    may\n", "mta-sts:      none published",
                    "host mx.example.test (preference 10, 127.0.0.1):", "  tlsa:       none",
                    "  level:      may (NONE), encrypted\n", "  tls:        TLSv1.", "names DO NOT MATCH",
                    "  result:     reached");
            assertOnlyEhloStartTlsQuit(mx);
        }
    }

    @Test
    void anEnforcedPolicyNamingAnotherHostLeavesTheUnlistedOneAloneAndVerifiesTheListedOne() throws Exception {
        try (CliTestDns dns = CliTestDns.start();
                ScriptedSmtpServer mx = ScriptedSmtpServer.start(tlsMx(TestPki.issuedFor("mx2.example.test")));
                CliPolicyServer https = CliPolicyServer.start(TestPki.forHosts("mta-sts.example.test"))) {
            dns.mx("example.test", 10, "mx1.example.test").mx("example.test", 20, "mx2.example.test")
                    .a("mx1.example.test", "127.0.0.1").a("mx2.example.test", "127.0.0.1")
                    .a("mta-sts.example.test", "127.0.0.1").txt("_mta-sts.example.test", "v=STSv1; id=7;");
            https.policy("example.test", "version: STSv1\nmode: enforce\nmx: mx2.example.test\nmax_age: 86400\n");
            String ca = TestPki.caPem(dir).toString();
            ProbeCommandTest.Run run = ProbeCommandTest.run(probe(dns, mx, "example.test", "--mta-sts-port",
                    Integer.toString(https.port()), "--mta-sts-trust-pem", ca, "--trust-pem", ca));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains(
                    "mta-sts:      mode enforce, id 7, mx mx2.example.test, max_age 86400 s (fetched)",
                    "host mx1.example.test (preference 10, 127.0.0.1):",
                    "  error:      SmtpTlsException: MX host mx1.example.test of example.test is not listed",
                    "host mx2.example.test (preference 20, 127.0.0.1):",
                    "  level:      verify (MTA_STS), encrypted, authenticated\n",
                    "result:       OK, 1 of 2 MX hosts reached at their TLS level");
            assertOnlyEhloStartTlsQuit(mx);
            assertThat(mx.connectionCount()).as("the unlisted host is never connected to").isEqualTo(1);
        }
    }

    @Test
    void domainsThatTakeNoMailFailNamingTheDomainAndBadNamesAreUsageErrorsBeforeAnyQuery() throws Exception {
        try (CliTestDns dns = CliTestDns.start();
                ScriptedSmtpServer mx = ScriptedSmtpServer.start(tlsMx(TestPki.selfSigned()))) {
            dns.mx("nullmx.test", 0, ".");
            ProbeCommandTest.Run nx = ProbeCommandTest.run(probe(dns, mx, "missing.test", "--no-mta-sts"));
            assertThat(nx.code()).as(nx.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(nx.out()).contains("error:        SmtpNoMailExchangerException: missing.test does not exist "
                    + "(NXDOMAIN)");
            assertThat(nx.err()).isEqualTo("reactive-smtp probe: missing.test does not exist (NXDOMAIN)\n");

            ProbeCommandTest.Run nullMx = ProbeCommandTest.run(probe(dns, mx, "nullmx.test", "--json"));
            assertThat(nullMx.code()).as(nullMx.toString()).isEqualTo(ExitCodes.FAILED);
            JsonNode json = JsonMapper.builder().build().readTree(nullMx.out());
            assertThat(json.get("error").get("message").asText()).contains("nullmx.test accepts no mail (null MX");
            assertThat(json.get("error").get("retryable").asBoolean()).isFalse();

            for (String bad : new String[] {"bad domain.test", "a..b.test", "x-.test"}) {
                ProbeCommandTest.Run run = ProbeCommandTest.run(probe(dns, mx, bad));
                assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
                assertThat(run.err()).startsWith("reactive-smtp probe: --mx: invalid domain ").contains(bad)
                        .hasLineCount(1);
                assertThat(dns.queries(bad, "MX")).isZero();
            }
            ProbeCommandTest.Run noDomain = ProbeCommandTest.run("probe", "--mx");
            assertThat(noDomain.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(noDomain.err()).startsWith("reactive-smtp probe: --mx needs a DOMAIN");
            ProbeCommandTest.Run neither = ProbeCommandTest.run("probe");
            assertThat(neither.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(neither.err()).startsWith("reactive-smtp probe: give --server HOST:PORT");
            ProbeCommandTest.Run both = ProbeCommandTest.run("probe", "--mx", "example.test", "--server",
                    "127.0.0.1:25");
            assertThat(both.err()).startsWith("reactive-smtp probe: --mx and --server exclude each other");
            assertThat(mx.connectionCount()).isZero();
        }
    }
}
