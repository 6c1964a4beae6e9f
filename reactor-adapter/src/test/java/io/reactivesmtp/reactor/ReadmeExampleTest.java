package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README honest: its Java example is the code between the markers below, character for character
 * (modulo indentation), and this test runs it against a real server.
 */
class ReadmeExampleTest {

    @Test
    void theReadmeExampleCompilesRunsAndMatchesTheReadme() throws IOException {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user").start()) {
            List<String> printed = new ArrayList<>();
            int port = server.port();

            // README-BEGIN
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay("127.0.0.1", port)
                    .session(SmtpSessionOptions.builder()
                            .tls(TlsPolicy.NONE)   // a relay on this machine; the default is REQUIRED (STARTTLS, verified)
                            .build())
                    .build());

            Envelope envelope = Envelope.of("sender@example.com", "alice@example.com", "nobody@example.net");
            MessageContent content = MessageContent.of(
                    "From: sender@example.com\r\n"
                    + "To: alice@example.com\r\n"
                    + "Subject: Hello\r\n"
                    + "\r\n"
                    + "Hi Alice!\r\n");

            SendReport report = client.send(envelope, content)   // cold: nothing is sent before subscription
                    .block(Duration.ofSeconds(30));

            for (RecipientResult r : report.recipients()) {
                printed.add(r.address() + " " + r.status() + " " + r.code() + " " + r.text());
            }
            // README-END

            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.PARTIAL);
            assertThat(printed).containsExactly(
                    "alice@example.com ACCEPTED 250 Ok",
                    "nobody@example.net PERMANENT_FAILURE 550 no such user");
        }
        ReadmeBlocks.assertReadmeBlockIsTheCodeOf(1, ReadmeExampleTest.class);
    }
}
