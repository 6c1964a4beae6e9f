package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpNoMailExchangerException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MessageResult#recipients()}: what a failure without a verdict means for each recipient. */
class MessageResultTest {

    private static final Envelope ENVELOPE = Envelope.of("shop@example.com", "a@example.com", "b@example.com");
    private static final OutgoingMessage MESSAGE = OutgoingMessage.of(1, ENVELOPE, MessageContent.of("Subject: x\r\n\r\nx\r\n"));

    private static List<Status> statuses(MessageResult r) {
        return r.recipients().stream().map(RecipientResult::status).toList();
    }

    /** As core builds it after the final dot: a accepted at RCPT (unknown now), b refused at RCPT. */
    private static SendReport afterTheDot() {
        return SendReport.builder().envelope(ENVELOPE)
                .recipient(RecipientResult.withoutReply(ENVELOPE.recipients().get(0), Status.UNKNOWN_AFTER_DATA,
                        SmtpReply.of(250, "ok")))
                .recipient(RecipientResult.decided(ENVELOPE.recipients().get(1), SmtpReply.of(550, "no"),
                        SmtpReply.of(550, "no")))
                .build();
    }

    @Test
    void aFailureBeforeTheDotIsTransientForEveryRecipientWithoutAVerdict() {
        MessageResult greeting = MessageResult.failed(MESSAGE, new SmtpSessionRejectedException(SmtpPhase.GREETING,
                SmtpReply.of(421, "4.7.0 too many connections")));
        MessageResult cut = MessageResult.failed(MESSAGE, new SmtpConnectionException("lost", null,
                SendReport.builder().envelope(ENVELOPE)
                        .recipient(RecipientResult.undetermined(ENVELOPE.recipients().get(0), SmtpReply.of(250, "ok")))
                        .recipient(RecipientResult.decided(ENVELOPE.recipients().get(1), SmtpReply.of(550, "no"),
                                SmtpReply.of(550, "no")))
                        .build()));

        assertThat(greeting.outcome()).isEqualTo(MessageResult.Outcome.FAILED);
        assertThat(statuses(greeting)).containsExactly(Status.TRANSIENT_FAILURE, Status.TRANSIENT_FAILURE);
        assertThat(greeting.recipients()).allSatisfy(r -> assertThat(r.reply()).isEmpty());
        assertThat(statuses(cut)).containsExactly(Status.TRANSIENT_FAILURE, Status.PERMANENT_FAILURE);
        assertThat(cut.recipients().get(0).rcptReply()).contains(SmtpReply.of(250, "ok"));
        assertThat(cut.recipients().get(0).isRetryable()).isTrue();
    }

    @Test
    void onlyRecipientsTheDataWentToAreUnknown() {
        MessageResult unknown = MessageResult.failed(MESSAGE,
                new SmtpUnknownOutcomeException("no reply to the final dot", null, afterTheDot()));

        assertThat(unknown.outcome()).isEqualTo(MessageResult.Outcome.UNKNOWN);
        assertThat(statuses(unknown)).containsExactly(Status.UNKNOWN_AFTER_DATA, Status.PERMANENT_FAILURE);
        assertThat(unknown.recipients().get(0).isRetryable()).isFalse();
        assertThat(afterTheDot().retryableRecipients()).isEmpty();
        assertThat(afterTheDot().outcome()).isEqualTo(SendReport.Outcome.UNKNOWN);
    }

    @Test
    void aDomainThatAcceptsNoMailIsPermanent() {
        MessageResult noMx = MessageResult.failed(MESSAGE,
                new SmtpNoMailExchangerException("example.com accepts no mail (null MX, RFC 7505)"));

        assertThat(statuses(noMx)).containsExactly(Status.PERMANENT_FAILURE, Status.PERMANENT_FAILURE);
        assertThat(noMx.recipients()).noneMatch(RecipientResult::isRetryable);
    }
}
