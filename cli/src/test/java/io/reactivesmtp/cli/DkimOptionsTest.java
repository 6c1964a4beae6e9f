package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.DkimTestKeys;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --dkim-key FILE --dkim-selector SEL --dkim-domain DOMAIN} on {@code send} and {@code bulk}: signed
 * messages arrive with one {@code DKIM-Signature} per group, and a key that cannot be used is a usage error
 * naming the file, before any connection. (The signatures are checked by an independent verifier in core's
 * DkimVerifyInteropIT.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DkimOptionsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String MESSAGE = "From: news@example.com\r\nTo: you@example.com\r\nSubject: signed\r\n\r\n"
            + "Hello.\r\n";

    @TempDir
    Path dir;

    private Path body() throws IOException {
        return Files.writeString(dir.resolve("message.eml"), MESSAGE);
    }

    private static List<String> signatureLines(String data) {
        return data.lines().filter(l -> l.startsWith("DKIM-Signature:")).toList();
    }

    @Test
    void sendSignsOncePerGroupWithTheAlgorithmOfTheKey() throws IOException {
        Path rsa = DkimTestKeys.rsaPkcs1(dir.resolve("rsa.pem"));
        Path ed = DkimTestKeys.ed25519Pkcs8(dir.resolve("ed.pem"));
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            SendCommandTest.Run run = SendCommandTest.run("send", "--server", "127.0.0.1:" + server.port(),
                    "--tls", "none", "--from", "news@example.com", "--to", "you@example.com",
                    "--body", body().toString(),
                    "--dkim-key", rsa.toString(), "--dkim-selector", "rsa2026", "--dkim-domain", "example.com",
                    "--dkim-key", ed.toString(), "--dkim-selector", "ed2026", "--dkim-domain", "example.com");
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            String data = server.awaitMessages(1, WAIT).get(0).dataAsString();
            List<String> signatures = signatureLines(data);
            assertThat(signatures).hasSize(2);
            assertThat(signatures.get(0)).contains("a=rsa-sha256", "c=relaxed/relaxed");
            assertThat(signatures.get(1)).contains("a=ed25519-sha256");
            String unfolded = data.replace("\r\n ", " ");
            assertThat(unfolded).contains("d=example.com; s=rsa2026;", "d=example.com; s=ed2026;");
            assertThat(data).endsWith(MESSAGE);
            assertThat(data.substring(0, data.length() - MESSAGE.length())).doesNotContain("\r\n\r\n");
        }
    }

    @Test
    void bulkSignsEveryMessage() throws IOException {
        Path ed = DkimTestKeys.ed25519Pkcs8(dir.resolve("ed.pem"));
        Path recipients = Files.writeString(dir.resolve("rcpts.txt"), "a@example.org\nb@example.org\nc@example.org\n");
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            BulkCommandTest.Run run = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    recipients.toString(), "--body", body().toString(), "--server", "127.0.0.1:" + server.port(),
                    "--tls", "none", "--dkim-key", ed.toString(), "--dkim-selector", "ed", "--dkim-domain",
                    "news.example.com");
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            List<SubethaSmtpServer.ReceivedMessage> messages = server.awaitMessages(3, WAIT);
            assertThat(messages).hasSize(3).allSatisfy(m -> {
                assertThat(signatureLines(m.dataAsString())).hasSize(1);
                assertThat(m.dataAsString().replace("\r\n ", " ")).contains("a=ed25519-sha256;",
                        "d=news.example.com; s=ed;").endsWith(MESSAGE);
            });
        }
    }

    @Test
    void anUnusableKeyIsAUsageErrorNamingTheFileBeforeAnyConnection() throws IOException {
        Path encrypted = DkimTestKeys.rsaEncryptedPkcs8(dir.resolve("encrypted.pem"));
        Path ec = DkimTestKeys.ecPkcs8(dir.resolve("ec.pem"));
        Path missing = dir.resolve("missing.pem");
        try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            String server = "127.0.0.1:" + listener.getLocalPort();
            SendCommandTest.Run send = SendCommandTest.run("send", "--server", server, "--tls", "none",
                    "--from", "news@example.com", "--to", "you@example.com", "--body", body().toString(),
                    "--dkim-key", encrypted.toString(), "--dkim-selector", "s", "--dkim-domain", "example.com");
            assertThat(send.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(send.err().lines().toList()).as(send.toString()).hasSize(1);
            assertThat(send.err()).startsWith("reactive-smtp send: --dkim-key: ").contains(encrypted.toString(),
                    "encrypted");

            BulkCommandTest.Run bulk = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    Files.writeString(dir.resolve("r.txt"), "a@example.org\n").toString(), "--body", body().toString(),
                    "--server", server, "--tls", "none",
                    "--dkim-key", ec.toString(), "--dkim-selector", "s", "--dkim-domain", "example.com");
            assertThat(bulk.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(bulk.err()).contains("--dkim-key: ", ec.toString(), "unsupported type EC");

            SendCommandTest.Run none = SendCommandTest.run("send", "--server", server, "--tls", "none",
                    "--from", "news@example.com", "--to", "you@example.com", "--body", body().toString(),
                    "--dkim-key", missing.toString(), "--dkim-selector", "s", "--dkim-domain", "example.com");
            assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(none.err()).contains("--dkim-key: ", missing.toString(), "cannot be read");

            listener.setSoTimeout(200);
            try {
                listener.accept().close();
                throw new AssertionError("a connection was made despite the bad DKIM key");
            } catch (SocketTimeoutException expected) {
                // Nothing connected.
            }
        }
    }

    @Test
    void anIncompleteGroupABadDomainOrAnUnsignableMessageIsAUsageError() throws IOException {
        Path ed = DkimTestKeys.ed25519Pkcs8(dir.resolve("ed.pem"));
        SendCommandTest.Run partial = SendCommandTest.run("send", "--server", "127.0.0.1:1", "--tls", "none",
                "--from", "news@example.com", "--to", "you@example.com", "--body", body().toString(),
                "--dkim-key", ed.toString(), "--dkim-domain", "example.com");
        assertThat(partial.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(partial.err()).contains("--dkim-selector");
        SendCommandTest.Run domain = SendCommandTest.run("send", "--server", "127.0.0.1:1", "--tls", "none",
                "--from", "news@example.com", "--to", "you@example.com", "--body", body().toString(),
                "--dkim-key", ed.toString(), "--dkim-selector", "s", "--dkim-domain", "exa mple.com");
        assertThat(domain.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(domain.err()).contains("--dkim-domain: ", "exa mple.com");
        Path noFrom = Files.writeString(dir.resolve("nofrom.eml"), "Subject: x\r\n\r\nFrom: in the body\r\n");
        SendCommandTest.Run unsignable = SendCommandTest.run("send", "--server", "127.0.0.1:1", "--tls", "none",
                "--from", "news@example.com", "--to", "you@example.com", "--body", noFrom.toString(),
                "--dkim-key", ed.toString(), "--dkim-selector", "s", "--dkim-domain", "example.com");
        assertThat(unsignable.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(unsignable.err()).contains("--body: cannot be DKIM-signed: ", noFrom.toString(), "no From: header");
        BulkCommandTest.Run bulk = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                Files.writeString(dir.resolve("r.txt"), "a@example.org\n").toString(), "--body", noFrom.toString(),
                "--server", "127.0.0.1:1", "--tls", "none",
                "--dkim-key", ed.toString(), "--dkim-selector", "s", "--dkim-domain", "example.com");
        assertThat(bulk.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bulk.err()).contains("no From: header");
    }
}
