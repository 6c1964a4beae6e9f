package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every failure type can carry a partial report without changing what it says or whether it is retryable. */
class SmtpExceptionTest {

    private static final SendReport PARTIAL = SendReport.builder()
            .envelope(Envelope.of("a@b.test", "x@c.test"))
            .recipient(RecipientResult.decided(MailAddress.of("x@c.test"), SmtpReply.of(550, "5.1.1 no"), SmtpReply.of(550, "5.1.1 no")))
            .build();

    @Test
    void withPartialReportKeepsTypeMessageRetryabilityAndTrace() {
        List<SmtpException> all = List.of(
                new SmtpConnectionException("lost", new java.io.IOException("reset"), null),
                new SmtpContentException("content failed", new IllegalStateException("x"), null),
                new SmtpUnknownOutcomeException("unknown", null, null),
                new SmtpProtocolException("bad reply"),
                new SmtpTimeoutException(SmtpPhase.RCPT, Duration.ofSeconds(1), null),
                new SmtpPolicyException("null MX"),
                new SmtpTlsException("handshake failed", null),
                new SmtpSessionRejectedException(SmtpPhase.GREETING, SmtpReply.of(421, "busy")),
                new SmtpAuthenticationException("PLAIN", SmtpReply.of(454, "4.7.0 later")),
                new SmtpAuthenticationException("LOGIN", "bad challenge", null));
        for (SmtpException e : all) {
            SmtpException copy = e.withPartialReport(PARTIAL);
            assertThat(copy).isExactlyInstanceOf(e.getClass());
            assertThat(copy.getMessage()).isEqualTo(e.getMessage());
            assertThat(copy.getCause()).isSameAs(e.getCause());
            assertThat(copy.isRetryable()).as(e.getClass().getSimpleName()).isEqualTo(e.isRetryable());
            assertThat(copy.partialReport()).contains(PARTIAL);
            assertThat(copy.getStackTrace()).isEqualTo(e.getStackTrace());
        }
    }
}
