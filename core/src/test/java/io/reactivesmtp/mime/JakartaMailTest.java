package io.reactivesmtp.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnector;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.testing.SubethaSmtpServer.ReceivedMessage;
import jakarta.activation.DataHandler;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Jakarta Mail adapter: a {@link MimeMessage} sent as it is, its Bcc in the envelope only. */
class JakartaMailTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static MimeMessage mime(byte[] attachment) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("mail.from", "news@example.com");
        MimeMessage m = new MimeMessage(Session.getInstance(properties));
        m.setFrom(new InternetAddress("news@example.com", "News"));
        m.setRecipient(RecipientType.TO, new InternetAddress("alice@example.org"));
        m.setRecipient(RecipientType.CC, new InternetAddress("carl@example.net"));
        m.setRecipient(RecipientType.BCC, new InternetAddress("hidden@example.com"));
        m.setSubject("Grüße from Jakarta Mail", "UTF-8");
        MimeMultipart multipart = new MimeMultipart();
        MimeBodyPart text = new MimeBodyPart();
        text.setText("Hello\n.a dot line\n", "UTF-8");
        multipart.addBodyPart(text);
        MimeBodyPart file = new MimeBodyPart();
        file.setDataHandler(new DataHandler(new ByteArrayDataSource(attachment, "application/octet-stream")));
        file.setFileName("data.bin");
        multipart.addBodyPart(file);
        m.setContent(multipart);
        return m;
    }

    @Test
    void aMimeMessageIsSentWithItsPartsAndItsBccInTheEnvelopeOnly() throws Exception {
        byte[] attachment = MessageBuilderTest.random(new SplittableRandom(4), 50_000);
        ComposedMessage message = JakartaMail.compose(mime(attachment));
        assertThat(message.envelope().sender().orElseThrow().toString()).isEqualTo("news@example.com");
        assertThat(message.envelope().recipients()).extracting(Object::toString)
                .containsExactly("alice@example.org", "carl@example.net", "hidden@example.com");
        assertThat(message.messageId()).startsWith("<").endsWith(">");
        assertThat(MessageLint.hasErrors(MessageLint.check(message))).as("%s", MessageLint.check(message)).isFalse();

        SmtpConnector connector = SmtpConnector.create();
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            SmtpSession session = connector.connect("127.0.0.1", server.port(),
                    SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            SendReport report = session.send(message.envelope(), message.content())
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            session.close().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            ReceivedMessage received = server.awaitMessages(1, WAIT).get(0);
            assertThat(received.recipients()).containsExactly("alice@example.org", "carl@example.net",
                    "hidden@example.com");
            String text = new String(received.data(), StandardCharsets.UTF_8);
            assertThat(text).doesNotContainIgnoringCase("\nBcc:").doesNotContain("hidden@example.com");
            List<Parsed.Leaf> leaves = Parsed.mime4jLeaves(received.data());
            assertThat(leaves).extracting(Parsed.Leaf::type).containsExactly("text/plain", "application/octet-stream");
            assertThat(new String(leaves.get(0).bytes(), StandardCharsets.UTF_8)).isEqualTo("Hello\r\n.a dot line\r\n");
            assertThat(leaves.get(1).bytes()).isEqualTo(attachment);
            assertThat(Parsed.python(received.data()).headers().get("subject")).isEqualTo("Grüße from Jakarta Mail");
        } finally {
            connector.close();
        }
    }

    @Test
    void aMimeMessageWithoutFromOrRecipientsIsRefusedNamingWhatIsMissing() throws Exception {
        MimeMessage noFrom = new MimeMessage(Session.getInstance(new Properties()));
        noFrom.setRecipient(RecipientType.TO, new InternetAddress("alice@example.org"));
        noFrom.setText("x");
        assertThatThrownBy(() -> JakartaMail.compose(noFrom)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("header From");
        MimeMessage noRecipient = new MimeMessage(Session.getInstance(new Properties()));
        noRecipient.setFrom(new InternetAddress("news@example.com"));
        noRecipient.setText("x");
        assertThatThrownBy(() -> JakartaMail.compose(noRecipient)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no recipient");
    }
}
