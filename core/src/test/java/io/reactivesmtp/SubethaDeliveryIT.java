package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.testing.StrictDataReader;
import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.testing.SubethaSmtpServer.ReceivedMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Delivery to SubEthaSMTP, a real SMTP server in the same JVM, with and without PIPELINING. */
@ExtendWith(ConnectorExtension.class)
class SubethaDeliveryIT {

    // Bare LF, bare CR, a lone dot line and a smuggling attempt: the server must see one message, CRLF only.
    private static final byte[] HOSTILE_BODY = ("From: a@b.test\nTo: x@c.test\nSubject: edge cases\n\n"
            + "line one\rline two\r\n.\r\n.leading dot\n\n.\nMAIL FROM:<evil@x.test>\r\nlast line without newline")
            .getBytes(StandardCharsets.UTF_8);

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    private SmtpSession connect(SubethaSmtpServer server) throws Throwable {
        return await(connector.connect("127.0.0.1", server.port(), SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build()));
    }

    @ParameterizedTest(name = "pipelining={0}")
    @ValueSource(booleans = {true, false})
    void deliversToSeveralRecipientsAndReportsEachOne(boolean pipelining) throws Throwable {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .pipelining(pipelining)
                .rejectRecipient("gone@c.test", 550, "5.1.1 no such user")
                .rejectRecipient("later@c.test", 451, "4.2.1 try later")
                .start()) {
            SmtpSession session = connect(server);
            assertThat(session.capabilities().pipelining()).isEqualTo(pipelining);
            SendReport report = await(session.send(
                    Envelope.of("a@b.test", "x@c.test", "gone@c.test", "later@c.test", "y@d.test"),
                    MessageContent.of(HOSTILE_BODY)));
            await(session.close());

            assertThat(report.outcome()).isEqualTo(Outcome.PARTIAL);
            assertThat(report.recipients()).extracting(RecipientResult::status).containsExactly(
                    Status.ACCEPTED, Status.PERMANENT_FAILURE, Status.TRANSIENT_FAILURE, Status.ACCEPTED);
            assertThat(report.recipients()).extracting(RecipientResult::code).containsExactly(250, 550, 451, 250);
            assertThat(report.recipient(MailAddress.of("gone@c.test")).enhancedStatus()).contains("5.1.1");

            List<ReceivedMessage> received = server.awaitMessages(1, WAIT);
            assertThat(received).hasSize(1);
            assertThat(received.get(0).from()).isEqualTo("a@b.test");
            assertThat(received.get(0).recipients()).containsExactly("x@c.test", "y@d.test");
            byte[] expected = StrictDataReader.normaliseCrlf(HOSTILE_BODY);
            assertThat(new String(received.get(0).data(), StandardCharsets.UTF_8))
                    .isEqualTo(new String(expected, StandardCharsets.UTF_8));
        }
    }

    @Test
    void severalMessagesOnOneSession() throws Throwable {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            SmtpSession session = connect(server);
            for (int i = 0; i < 5; i++) {
                SendReport report = await(session.send(Envelope.of("a@b.test", "n" + i + "@c.test"),
                        MessageContent.of("Subject: " + i + "\r\n\r\nmessage " + i + "\r\n")));
                assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            }
            await(session.close());
            List<ReceivedMessage> received = server.awaitMessages(5, WAIT);
            assertThat(received).extracting(m -> m.recipients().get(0))
                    .containsExactly("n0@c.test", "n1@c.test", "n2@c.test", "n3@c.test", "n4@c.test");
        }
    }

    @Test
    void allRecipientsRejectedDeliversNothingAndTheSessionGoesOn() throws Throwable {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .rejectRecipient("gone@c.test", 550, "5.1.1 no such user").start()) {
            SmtpSession session = connect(server);
            SendReport rejected = await(session.send(Envelope.of("a@b.test", "gone@c.test"), MessageContent.of("Subject: x\r\n\r\nx\r\n")));
            assertThat(rejected.outcome()).isEqualTo(Outcome.REJECTED);
            SendReport next = await(session.send(Envelope.of("a@b.test", "ok@c.test"), MessageContent.of("Subject: y\r\n\r\ny\r\n")));
            assertThat(next.outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            List<ReceivedMessage> received = server.awaitMessages(1, WAIT);
            assertThat(received).hasSize(1);
            assertThat(received.get(0).recipients()).containsExactly("ok@c.test");
        }
    }

    @Test
    void aLargeFileIsStreamedByteForByte(@TempDir Path dir) throws Throwable {
        Path file = dir.resolve("big.eml");
        StringBuilder sb = new StringBuilder("Subject: big\r\n\r\n");
        for (int i = 0; sb.length() < 3 * 1024 * 1024; i++) {
            sb.append(i % 7 == 0 ? "." : "").append("line ").append(i).append(" ").append("x".repeat(60)).append("\r\n");
        }
        Files.writeString(file, sb, StandardCharsets.US_ASCII);
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            SmtpSession session = connect(server);
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(file)));
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            assertThat(server.awaitMessages(1, WAIT).get(0).data()).isEqualTo(Files.readAllBytes(file));
        }
    }
}
