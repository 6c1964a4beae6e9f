package io.reactivesmtp.reactor;

import static io.reactivesmtp.reactor.SmtpClientPoolTest.BODY;
import static io.reactivesmtp.reactor.SmtpClientPoolTest.WAIT;
import static io.reactivesmtp.reactor.SmtpClientPoolTest.options;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * {@code 452 4.5.3 too many recipients} (RFC 5321 §4.5.3.1.10): the recipients put off go at once in follow-up
 * transactions on the same session, never lost and never reported delivered before their own final 250; the limit
 * learned splits later messages up front.
 */
class SmtpClientRecipientLimitTest {

    private static Envelope envelope(int recipients, String tag) {
        List<MailAddress> to = IntStream.rangeClosed(1, recipients)
                .mapToObj(i -> MailAddress.of(tag + i + "@c.test")).toList();
        return Envelope.builder().from(MailAddress.of("a@b.test")).to(to).build();
    }

    @Test
    void aServerTakingAHundredRecipientsGetsAllTwoHundredFiftyInThreeTransactionsOfOneSend() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().maxRecipientsPerTransaction(100).start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            Envelope first = envelope(250, "first");

            SendReport report = client.send(first, BODY).block(WAIT);

            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            assertThat(report.recipients()).hasSize(250).allMatch(RecipientResult::isAccepted);
            assertThat(report.recipients()).extracting(RecipientResult::address).containsExactlyElementsOf(first.recipients());
            assertThat(server.recipientsPerMessage).containsExactly(100, 100, 50);
            assertThat(server.delivered).hasSize(250).doesNotHaveDuplicates();
            assertThat(server.connections.get()).as("follow-ups on the same session").isEqualTo(1);

            // The limit is learned: the next message is split up front, no RCPT is refused any more.
            int refused = server.tooManyRecipients.get();
            SendReport second = client.send(envelope(250, "second"), BODY).block(WAIT);
            assertThat(second.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            assertThat(server.tooManyRecipients.get()).isEqualTo(refused);
            assertThat(server.recipientsPerMessage).containsExactly(100, 100, 50, 100, 100, 50);
            assertThat(server.connections.get()).isEqualTo(1);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void sendAllSplitsToo() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().maxRecipientsPerTransaction(3).start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).maxInFlight(2).build());
            List<MessageResult> results = client.sendAll(Flux.range(0, 6)
                    .map(i -> OutgoingMessage.of(i, envelope(7, "m" + i + "-"), BODY))).collectList().block(WAIT);

            assertThat(results).hasSize(6).allMatch(r -> r.outcome() == MessageResult.Outcome.DELIVERED);
            assertThat(server.delivered).hasSize(42).doesNotHaveDuplicates();
            assertThat(server.recipientsPerMessage).allMatch(n -> n <= 3);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void aServerRefusingEveryRecipientAsTooManyLeavesThemTransientWithoutLooping() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().maxRecipientsPerTransaction(0).start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());

            SendReport report = client.send(envelope(5, "r"), BODY).block(WAIT);

            assertThat(report.recipients()).hasSize(5).allSatisfy(r -> {
                assertThat(r.status()).isEqualTo(RecipientResult.Status.TRANSIENT_FAILURE);
                assertThat(r.code()).isEqualTo(452);
            });
            assertThat(server.tooManyRecipients.get()).as("one transaction, no follow-up").isEqualTo(5);
            assertThat(server.delivered).isEmpty();
            client.disposeLater().block(WAIT);
        }
    }
}
