package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.reactor.CliPolicyServer;
import io.reactivesmtp.reactor.CliTestDns;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code send --mx} applies recipient domains' MTA-STS policies by default ({@code --no-mta-sts} to ignore them),
 * in-process, against the test DNS server, an in-JVM policy HTTPS server and a loopback MX with a self-signed
 * certificate.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MtaStsCliTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private SendCommandTest.Run send(CliTestDns dns, ScriptedSmtpServer mx, String... extra)
            throws Exception {
        Path body = Files.writeString(dir.resolve("message.eml"), "From: news@example.com\r\nSubject: hi\r\n\r\nHi.\r\n");
        return SendCommandTest.run(Stream.concat(Stream.of("send", "--mx", "--dns-server",
                "127.0.0.1:" + dns.address().getPort(), "--mx-port", Integer.toString(mx.port()),
                "--from", "news@example.com", "--to", "user@example.test", "--body", body.toString()),
                Stream.of(extra)).toArray(String[]::new));
    }

    @Test
    void anEnforcedPolicyNamingOtherHostsKeepsMailFromTheMxUnlessMtaStsIsOff() throws Exception {
        try (CliTestDns dns = CliTestDns.start(); ScriptedSmtpServer mx = ScriptedSmtpServer.start(MxTlsLevelCliTest.selfSignedMx());
                CliPolicyServer https = CliPolicyServer.start(TestPki.forHosts("mta-sts.example.test"))) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1")
                    .a("mta-sts.example.test", "127.0.0.1").txt("_mta-sts.example.test", "v=STSv1; id=1;");
            https.policy("example.test", "version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n");
            String ca = TestPki.caPem(dir).toString();

            SendCommandTest.Run refused = send(dns, mx, "--mta-sts-port", Integer.toString(https.port()),
                    "--mta-sts-trust-pem", ca);
            assertThat(refused.code()).as(refused.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(refused.out()).contains("MTA-STS on");
            assertThat(refused.out() + refused.err()).contains("not listed");
            assertThat(https.requests("example.test")).isEqualTo(1);
            assertThat(mx.connectionCount()).isZero();

            SendCommandTest.Run off = send(dns, mx, "--no-mta-sts");
            assertThat(off.code()).as(off.toString()).isEqualTo(ExitCodes.OK);
            assertThat(off.out()).contains("MTA-STS off", "tls level: example.test via mx.example.test: may");
            assertThat(https.requests("example.test")).isEqualTo(1);
            mx.awaitScriptDone(WAIT);
        }
    }

    @Test
    void mtaStsOptionsAreUsageErrorsWhenMisplaced() throws Exception {
        SendCommandTest.Run stray = SendCommandTest.run("send", "--server", "127.0.0.1:25", "--no-mta-sts",
                "--from", "a@example.com", "--to", "b@example.com");
        assertThat(stray.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(stray.err()).startsWith("reactive-smtp send: --no-mta-sts needs --mx");
        SendCommandTest.Run both = SendCommandTest.run("send", "--mx", "--no-mta-sts", "--mta-sts-port", "8443",
                "--from", "a@example.com", "--to", "b@example.com");
        assertThat(both.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err()).startsWith("reactive-smtp send: --mta-sts-port and --no-mta-sts exclude each other");
        SendCommandTest.Run port = SendCommandTest.run("send", "--mx", "--mta-sts-port", "0",
                "--from", "a@example.com", "--to", "b@example.com");
        assertThat(port.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(port.err()).startsWith("reactive-smtp send: --mta-sts-port must be a port number 1-65535");
    }
}
