package io.reactivesmtp.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnector;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.mime.Parsed.Leaf;
import io.reactivesmtp.testing.StrictDataReader;
import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.testing.SubethaSmtpServer.ReceivedMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A built message with attachments of every source, sent over a real session to SubEthaSMTP, arrives intact. */
class ComposedDeliveryIT {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void aBuiltMessageArrivesAsBuiltAndEveryPartDecodes() throws Exception {
        SplittableRandom random = new SplittableRandom(15);
        byte[] file = MessageBuilderTest.random(random, 300_000);
        byte[] inMemory = MessageBuilderTest.random(random, 70_000);
        byte[] published = MessageBuilderTest.random(random, 140_000);
        // A lone dot line and dot-leading lines: the DATA encoder must stuff them and the server unstuff them.
        String text = "Hello\n.\n.leading dot\nGrüße\n";
        ComposedMessage message = ComposedMessage.builder()
                .from("Sender", "sender@example.com").to("rcpt@example.org").bcc("hidden@example.net")
                .subject("Delivery of a composed message")
                .text(text).html("<p>Hello</p>\n")
                .attach(Attachment.of(Files.write(dir.resolve("data.bin"), file), "application/octet-stream"))
                .attach(Attachment.of("memory.bin", "application/octet-stream", inMemory))
                .attach(Attachment.of("published.bin", "application/octet-stream", Parsed.publisher(published, 10_000)))
                .build();
        byte[] built = Parsed.bytes(message.content());

        SmtpConnector connector = SmtpConnector.create();
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            SmtpSession session = connector.connect("127.0.0.1", server.port(),
                    SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            SendReport report = session.send(message.envelope(), message.content())
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            session.close().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);

            List<ReceivedMessage> received = server.awaitMessages(1, WAIT);
            assertThat(received.get(0).from()).isEqualTo("sender@example.com");
            assertThat(received.get(0).recipients()).containsExactly("rcpt@example.org", "hidden@example.net");
            byte[] data = received.get(0).data();
            assertThat(new String(data, StandardCharsets.UTF_8))
                    .isEqualTo(new String(StrictDataReader.normaliseCrlf(built), StandardCharsets.UTF_8));
            List<Leaf> expected = List.of(
                    MessageBuilderTest.leaf("text/plain", null, BodyLayoutTestSupport.crlf(text)),
                    MessageBuilderTest.leaf("text/html", null, BodyLayoutTestSupport.crlf("<p>Hello</p>\n")),
                    MessageBuilderTest.leaf("application/octet-stream", "data.bin", file),
                    MessageBuilderTest.leaf("application/octet-stream", "memory.bin", inMemory),
                    MessageBuilderTest.leaf("application/octet-stream", "published.bin", published));
            MessageBuilderTest.assertSameLeaves(Parsed.mime4jLeaves(data), expected);
            MessageBuilderTest.assertSameLeaves(Parsed.python(data).leaves(), expected);
        } finally {
            connector.close();
        }
    }
}
