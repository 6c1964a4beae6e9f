package io.reactivesmtp.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnector;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.ReadmeCode;
import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.testing.SubethaSmtpServer.ReceivedMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Java example of the README's "Composing messages" section (the code between the markers, with
 * {@code pdfFile} a PDF file and the port of an in-JVM server) and checks that the README shows exactly that code
 * (indentation and blank lines aside).
 */
class ReadmeComposeExampleTest {

    @TempDir
    Path dir;

    @Test
    void theComposeExampleRunsAndIsTheReadmes() throws Exception {
        byte[] pdf = MessageBuilderTest.random(new SplittableRandom(3), 100_000);
        Path pdfFile = Files.write(dir.resolve("report.pdf"), pdf);
        List<Object> printed = new ArrayList<>();
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            int port = server.port();

            // README-BEGIN
            SmtpConnector connector = SmtpConnector.create();
            SmtpSession session = connector.connect("127.0.0.1", port,
                    SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build()).get(30, TimeUnit.SECONDS);

            ComposedMessage message = ComposedMessage.builder()
                    .from("Example News", "news@example.com")
                    .to("alice@example.org")
                    .bcc("archive@example.com")                           // envelope only, never in the header
                    .subject("Grüße from the newsletter")                 // RFC 2047 encoded words, folded
                    .text("Hello Alice,\nthe news of the week.\n")
                    .html("<p>Hello Alice,</p><p>the news of the week.</p>")
                    .attach(Attachment.of(pdfFile, "application/pdf"))    // base64 as it streams, never read whole
                    .listUnsubscribe("https://example.com/unsubscribe?u=alice", "mailto:unsubscribe@example.com")
                    .build();                                             // Date and Message-ID generated

            for (LintFinding finding : MessageLint.check(message)) {      // one From, Date, Message-ID; line lengths...
                printed.add(finding);
            }
            SendReport report = session.send(message.envelope(), message.content()).get(30, TimeUnit.SECONDS);
            session.close().get(30, TimeUnit.SECONDS);
            connector.close();
            // README-END

            assertThat(printed).isEmpty();
            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            ReceivedMessage received = server.awaitMessages(1, Duration.ofSeconds(10)).get(0);
            assertThat(received.recipients()).containsExactly("alice@example.org", "archive@example.com");
            List<Parsed.Leaf> leaves = Parsed.python(received.data()).leaves();
            assertThat(leaves).extracting(Parsed.Leaf::type).containsExactly("text/plain", "text/html",
                    "application/pdf");
            assertThat(leaves.get(2).bytes()).isEqualTo(pdf);
        }
        assertThat(ReadmeCode.normalise(ReadmeCode.blockAfter("## Composing messages"))).isEqualTo(ReadmeCode.normalise(
                ReadmeCode.markedCode(ReadmeComposeExampleTest.class)
                        .replace("printed.add(", "System.out.println(")
                        .replace("\"127.0.0.1\", port,", "\"127.0.0.1\", 2525,")));
    }
}
