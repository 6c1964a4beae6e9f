package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.reactor.CliTestDns;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bulk --mx} and {@code send --mx} with {@code --tls-level}, in-process, against a loopback MX that offers
 * STARTTLS with a self-signed certificate (the common case on the internet), found through the test DNS server.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MxTlsLevelCliTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String MESSAGE = "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";

    @TempDir
    Path dir;

    /** An MX that offers STARTTLS with a self-signed certificate, then takes one message over TLS. */
    static Script selfSignedMx() {
        return Script.create().send("220 mx.example.test ESMTP")
                .expectMatching("EHLO .*").send("250-mx.example.test", "250 STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 ready")
                .startTls(TestPki.serverContext(TestPki.selfSigned()))
                .expectMatching("EHLO .*").send("250 mx.example.test")
                .expect("MAIL FROM:<news@example.com>").send("250 ok")
                .expect("RCPT TO:<user@example.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
    }

    private String[] bulk(CliTestDns dns, ScriptedSmtpServer mx, String... extra) throws Exception {
        dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1");
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), "user@example.test\n");
        Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
        return Stream.concat(Stream.of("--mx", "--dns-server", "127.0.0.1:" + dns.address().getPort(),
                "--mx-port", Integer.toString(mx.port()), "--from", "news@example.com",
                "--recipients", recipients.toString(), "--body", body.toString()), Stream.of(extra))
                .toArray(String[]::new);
    }

    @Test
    void bulkAtLevelMayDeliversEncryptedToASelfSignedMx() throws Exception {
        try (CliTestDns dns = CliTestDns.start(); ScriptedSmtpServer mx = ScriptedSmtpServer.start(selfSignedMx())) {
            BulkCommandTest.Run run = BulkCommandTest.run(bulk(dns, mx, "--tls-level", "may"));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("TLS level may", "1 sent: 1 delivered");
            mx.awaitScriptDone(WAIT); // the script went through STARTTLS: the message came over TLS
            assertThat(mx.dataCount()).isEqualTo(1);
        }
    }

    @Test
    void bulkByDefaultIsDaneWhichIsMayWithoutTlsa() throws Exception {
        try (CliTestDns dns = CliTestDns.start(); ScriptedSmtpServer mx = ScriptedSmtpServer.start(selfSignedMx())) {
            BulkCommandTest.Run run = BulkCommandTest.run(bulk(dns, mx));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("TLS level dane");
            mx.awaitScriptDone(WAIT);
        }
    }

    @Test
    void bulkAtLevelVerifyRefusesTheSelfSignedMxAndDeliversNothing() throws Exception {
        try (CliTestDns dns = CliTestDns.start(); ScriptedSmtpServer mx = ScriptedSmtpServer.start(selfSignedMx())) {
            BulkCommandTest.Run run = BulkCommandTest.run(bulk(dns, mx, "--tls-level", "verify"));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(run.out()).contains("1 sent: 0 delivered");
            assertThat(mx.dataCount()).isZero();
        }
    }

    @Test
    void tlsLevelMistakesAreUsageErrorsNamingTheFlag() throws Exception {
        try (CliTestDns dns = CliTestDns.start(); ScriptedSmtpServer mx = ScriptedSmtpServer.start(selfSignedMx())) {
            Map<String, String[]> cases = Map.of(
                    "reactive-smtp bulk: --tls-level: expected may, encrypt, dane, verify or secure, not \"strict\"",
                    bulk(dns, mx, "--tls-level", "strict"),
                    "reactive-smtp bulk: --tls is for --server (submission relays); with --mx use --tls-level",
                    bulk(dns, mx, "--tls", "opportunistic"));
            cases.forEach((message, args) -> {
                BulkCommandTest.Run run = BulkCommandTest.run(args);
                assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
                assertThat(run.err()).as(run.toString()).startsWith(message).hasLineCount(1);
            });
            Path recipients = Files.writeString(dir.resolve("r.txt"), "user@example.test\n");
            BulkCommandTest.Run run = BulkCommandTest.run("--tls-level", "may", "--from", "news@example.com",
                    "--recipients", recipients.toString(), "--body", Files.writeString(dir.resolve("m.eml"), MESSAGE)
                            .toString());
            assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).startsWith("reactive-smtp bulk: --tls-level needs --mx");
            SendCommandTest.Run send = SendCommandTest.run("send", "--tls-level", "bogus", "--mx",
                    "--from", "news@example.com", "--to", "user@example.test", "--body", recipients.toString());
            assertThat(send.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(send.err()).startsWith("reactive-smtp send: --tls-level: expected may, encrypt, dane, verify or "
                    + "secure, not \"bogus\"");
            assertThat(mx.connectionCount()).isZero();
        }
    }

    @Test
    void sendMxShowsTheLevelReachedAndDaneAuthenticatesByTlsa() throws Exception {
        byte[] spki = MessageDigest.getInstance("SHA-256")
                .digest(TestPki.selfSigned().certificate().getPublicKey().getEncoded());
        try (CliTestDns dns = CliTestDns.start(); ScriptedSmtpServer mx = ScriptedSmtpServer.start(selfSignedMx())) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1")
                    .tlsa("_" + mx.port() + "._tcp.mx.example.test", 3, 1, 1, spki);
            dns.authenticData(true); // the test DNS server is on loopback: its AD bit is believed
            Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
            SendCommandTest.Run run = SendCommandTest.run("send", "--mx", "--dns-server",
                    "127.0.0.1:" + dns.address().getPort(), "--mx-port", Integer.toString(mx.port()),
                    "--from", "news@example.com", "--to", "user@example.test", "--body", body.toString());
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("server:   MX of each recipient domain (port " + mx.port() + "), TLS level dane",
                    "tls level: example.test via mx.example.test: dane (DANE), encrypted, authenticated");
            mx.awaitScriptDone(WAIT);
        }
    }
}
