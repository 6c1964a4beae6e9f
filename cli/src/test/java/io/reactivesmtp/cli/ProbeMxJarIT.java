package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.reactor.CliTestDns;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.TestPki;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code probe --mx} in its own JVM (the shaded jar: Jackson, netty's DNS codec and the reactor
 * adapter's MX routing all inside): a DANE host found through the test DNS server, and an unknown domain.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProbeMxJarIT {

    private static final Duration RUN = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void probeMxShowsTheDaneHostAndFailsForAnUnknownDomain() throws Exception {
        TestPki.Credential cert = TestPki.selfSigned();
        byte[] spki = MessageDigest.getInstance("SHA-256").digest(cert.certificate().getPublicKey().getEncoded());
        try (CliTestDns dns = CliTestDns.start();
                ScriptedSmtpServer mx = ScriptedSmtpServer.start(ProbeMxCommandTest.tlsMx(cert))) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1")
                    .tlsa("_" + mx.port() + "._tcp.mx.example.test", 3, 1, 1, spki);
            dns.authenticData(true);
            PackagedCli cli = new PackagedCli(dir);
            PackagedCli.Result r = cli.command(ProbeMxCommandTest.probe(dns, mx, "example.test"))
                    .run(RUN).assertExit(ExitCodes.OK);
            assertThat(r.out()).contains("mx:           DNSSEC-validated", "mta-sts:      none published",
                    "  tlsa:       1 record(s), DNSSEC-validated (AD), used for DANE",
                    "  level:      dane (DANE), encrypted, authenticated",
                    "result:       OK, 1 of 1 MX hosts reached at their TLS level");
            mx.awaitScriptDone(Duration.ofSeconds(10));
            assertThat(mx.linesReceived(0)).noneMatch(l -> l.startsWith("MAIL"));

            PackagedCli.Result missing = cli.command(ProbeMxCommandTest.probe(dns, mx, "missing.test", "--json"))
                    .run(RUN).assertExit(ExitCodes.FAILED);
            assertThat(missing.out()).contains("\"domain\" : \"missing.test\"", "does not exist (NXDOMAIN)");
            assertThat(missing.err()).contains("missing.test does not exist (NXDOMAIN)");
        }
    }
}
