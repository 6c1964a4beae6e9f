package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.dkim.DkimKeys;
import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.testing.DkimTestKeys;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Java example of the README's "DKIM signing" section (the code between the markers, with {@code keys}
 * the directory of the PEM files and the port of an in-JVM server) so that it compiles and works.
 */
class ReadmeDkimExampleTest {

    @TempDir
    Path dir;

    @Test
    void theDkimExampleCompilesAndSignsWithBothKeys() throws IOException {
        Path keys = Files.createDirectories(dir.resolve("dkim"));
        DkimTestKeys.rsaPkcs1(keys.resolve("rsa2026.pem"));
        DkimTestKeys.ed25519Pkcs8(keys.resolve("ed2026.pem"));
        Path newsletter = Files.writeString(dir.resolve("newsletter.eml"),
                "From: news@example.com\r\nTo: alice@example.org\r\nSubject: News\r\n\r\nHello.\r\n");
        List<String> printed = new ArrayList<>();
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            int port = server.port();

            // README-BEGIN
            DkimSigner rsa = DkimSigner.builder()
                    .key(keys.resolve("rsa2026.pem"))   // PEM: RSA PKCS#1 or PKCS#8, or Ed25519 PKCS#8; unencrypted
                    .domain("example.com")              // d=
                    .selector("rsa2026")                // s=: the public key is at rsa2026._domainkey.example.com
                    .build();                           // relaxed/relaxed, From, To, Subject, Date... as present
            DkimSigner ed = DkimSigner.builder()
                    .key(keys.resolve("ed2026.pem")).domain("example.com").selector("ed2026").build();

            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay("127.0.0.1", port)
                    .session(SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build())
                    .dkim(rsa, ed)          // signs every message this client sends, or sign one message with
                    .build());              // MessageContent.of(...).signedWith(rsa, ed)

            SendReport report = client.send(Envelope.of("news@example.com", "alice@example.org"),
                            MessageContent.of(newsletter))
                    .block(Duration.ofSeconds(30));

            printed.add(DkimKeys.dnsRecord(DkimKeys.readPem(keys.resolve("ed2026.pem"))));
            // v=DKIM1; k=ed25519; p=...   (the TXT record to publish at ed2026._domainkey.example.com)
            // README-END

            client.disposeLater().block(Duration.ofSeconds(10));
            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            String received = server.awaitMessages(1, Duration.ofSeconds(10)).get(0).dataAsString();
            assertThat(received.lines().filter(l -> l.startsWith("DKIM-Signature:"))).hasSize(2);
            assertThat(printed).singleElement().asString().startsWith("v=DKIM1; k=ed25519; p=");
        }
        ReadmeBlocks.assertReadmeBlockIsTheCodeOf(3, ReadmeDkimExampleTest.class);
    }
}
