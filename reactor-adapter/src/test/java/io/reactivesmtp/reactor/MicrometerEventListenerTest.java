package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpTimeoutException;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import io.reactivesmtp.TlsInfo;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicrometerEventListenerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String DEST = "mx.example.com:25";
    private static final MailAddress A = MailAddress.of("a@example.com");
    private static final MailAddress B = MailAddress.of("b@example.com");
    private static final MailAddress C = MailAddress.of("c@example.com");
    private static final Envelope ENVELOPE = Envelope.of("shop@example.com", "a@example.com", "b@example.com",
            "c@example.com");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MicrometerEventListener listener = new MicrometerEventListener(registry);

    private static SendReport report(int a, int b, int c, Duration duration) {
        return SendReport.builder().envelope(ENVELOPE)
                .recipient(RecipientResult.decided(A, SmtpReply.of(a, "a"), SmtpReply.of(250)))
                .recipient(RecipientResult.decided(B, SmtpReply.of(b, "b"), SmtpReply.of(250)))
                .recipient(RecipientResult.decided(C, SmtpReply.of(c, "c"), SmtpReply.of(250)))
                .duration(duration)
                .build();
    }

    private double count(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    @Test
    void pacingChangesAreCountedAndTheLimitAndRateAreGauges() {
        listener.pacingChanged("google.com", 8, 4, "decrease: 421 4.7.0 at greeting");
        listener.pacingChanged("google.com", 4, 5, "increase: quiet");
        listener.pacingRateChanged("google.com", 0, 40.4, "decrease: 451 4.7.1");
        listener.pacingRateChanged("google.com", 40.4, 0, "increase: rate limit lifted");

        assertThat(count("smtp.pacing.changes", "destination", "google.com", "kind", "concurrency",
                "direction", "decrease")).isEqualTo(1.0);
        assertThat(count("smtp.pacing.changes", "kind", "concurrency", "direction", "increase")).isEqualTo(1.0);
        assertThat(count("smtp.pacing.changes", "kind", "rate", "direction", "decrease")).isEqualTo(1.0);
        assertThat(count("smtp.pacing.changes", "kind", "rate", "direction", "increase")).isEqualTo(1.0);
        assertThat(registry.get("smtp.pacing.limit").tags("destination", "google.com").gauge().value()).isEqualTo(5.0);
        assertThat(registry.get("smtp.pacing.rate").tags("destination", "google.com").gauge().value()).isZero();
        listener.pacingRateChanged("google.com", 0, 12.6, "decrease: 451 4.7.1");
        assertThat(registry.get("smtp.pacing.rate").tags("destination", "google.com").gauge().value()).isEqualTo(13.0);
    }

    @Test
    void transactionEndCountsMessageRecipientsRepliesAndTime() {
        listener.transactionEnd(DEST, report(250, 250, 250, Duration.ofMillis(120)));
        listener.transactionEnd(DEST, report(250, 451, 550, Duration.ofMillis(80)));
        listener.transactionEnd(DEST, report(550, 550, 554, Duration.ofMillis(10)));

        assertThat(count("smtp.messages", "destination", DEST, "outcome", "delivered")).isEqualTo(1);
        assertThat(count("smtp.messages", "destination", DEST, "outcome", "partial")).isEqualTo(1);
        assertThat(count("smtp.messages", "destination", DEST, "outcome", "rejected")).isEqualTo(1);

        assertThat(count("smtp.recipients", "status", "accepted")).isEqualTo(4);
        assertThat(count("smtp.recipients", "status", "transient_failure")).isEqualTo(1);
        assertThat(count("smtp.recipients", "status", "permanent_failure")).isEqualTo(4);

        assertThat(count("smtp.replies", "code", "250")).isEqualTo(4);
        assertThat(count("smtp.replies", "code", "451")).isEqualTo(1);
        assertThat(count("smtp.replies", "code", "550")).isEqualTo(3);
        assertThat(count("smtp.replies", "code", "554")).isEqualTo(1);

        Timer t = registry.get("smtp.transaction").tags("destination", DEST).timer();
        assertThat(t.count()).isEqualTo(3);
        assertThat(t.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(210);
    }

    @Test
    void transactionFailedCountsFailedOrUnknownAndThePartialRecipients() {
        SendReport partial = SendReport.builder().envelope(ENVELOPE)
                .recipient(RecipientResult.undetermined(A, SmtpReply.of(250)))
                .recipient(RecipientResult.decided(B, SmtpReply.of(550, "no"), SmtpReply.of(550, "no")))
                .recipient(RecipientResult.undetermined(C, null))
                .build();
        listener.transactionFailed(DEST, new SmtpTimeoutException(SmtpPhase.DATA_BLOCK, Duration.ofMinutes(3), partial));
        listener.transactionFailed(DEST, new SmtpUnknownOutcomeException("lost after dot", null, null));

        assertThat(count("smtp.messages", "outcome", "failed")).isEqualTo(1);
        assertThat(count("smtp.messages", "outcome", "unknown")).isEqualTo(1);
        assertThat(count("smtp.recipients", "status", "undetermined")).isEqualTo(2);
        assertThat(count("smtp.recipients", "status", "permanent_failure")).isEqualTo(1);
        assertThat(count("smtp.replies", "code", "550")).isEqualTo(1);
        assertThat(count("smtp.replies", "code", "250")).isEqualTo(1); // A's RCPT reply, its only reply yet
        assertThat(count("smtp.replies", "code", "none")).isEqualTo(1);
    }

    @Test
    void connectFailuresAreCountedByExceptionType() {
        listener.connectFailed(DEST, new SmtpConnectionException("refused", null, null), Duration.ofMillis(3));
        listener.connectFailed(DEST, new SmtpConnectionException("refused", null, null), Duration.ofMillis(3));
        listener.connectFailed(DEST, new SmtpTlsException("bad certificate", null), Duration.ofMillis(40));

        assertThat(count("smtp.connections.failed", "destination", DEST, "exception", "SmtpConnectionException"))
                .isEqualTo(2);
        assertThat(count("smtp.connections.failed", "exception", "SmtpTlsException")).isEqualTo(1);
    }

    @Test
    void sessionsGaugeFollowsReadyAndClosedAndConnectIsTimed() {
        InetSocketAddress remote = InetSocketAddress.createUnresolved("mx.example.com", 25);
        listener.sessionReady(DEST, null, Duration.ofMillis(30));
        listener.sessionReady(DEST, null, Duration.ofMillis(50));
        listener.sessionReady("other.example:25", null, Duration.ofMillis(10));

        assertThat(registry.get("smtp.sessions.open").tags("destination", DEST).gauge().value()).isEqualTo(2);
        assertThat(registry.get("smtp.sessions.open").tags("destination", "other.example:25").gauge().value())
                .isEqualTo(1);

        listener.sessionClosed(DEST, remote, 12);
        assertThat(registry.get("smtp.sessions.open").tags("destination", DEST).gauge().value()).isEqualTo(1);
        listener.sessionClosed(DEST, remote, 3);
        listener.sessionClosed(DEST, remote, 0); // unmatched close: the gauge does not go negative
        assertThat(registry.get("smtp.sessions.open").tags("destination", DEST).gauge().value()).isEqualTo(0);

        Timer connect = registry.get("smtp.connect").tags("destination", DEST).timer();
        assertThat(connect.count()).isEqualTo(2);
        assertThat(connect.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(80);
    }

    @Test
    void tlsHandshakesAreTimedByProtocol() {
        listener.tlsEstablished(DEST, TlsInfo.of("TLSv1.3", "TLS_AES_128_GCM_SHA256", null, "JDK"),
                Duration.ofMillis(25));

        Timer tls = registry.get("smtp.tls").tags("destination", DEST, "protocol", "TLSv1.3").timer();
        assertThat(tls.count()).isEqualTo(1);
        assertThat(tls.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(25);
    }

    @Test
    void commonTagsGoOnEveryMeter() {
        MicrometerEventListener tagged = new MicrometerEventListener(registry, Tags.of("app", "newsletter"));
        tagged.transactionEnd(DEST, report(250, 250, 250, Duration.ZERO));
        tagged.sessionReady(DEST, null, Duration.ZERO);
        tagged.connectFailed(DEST, new SmtpConnectionException("refused", null, null), Duration.ZERO);

        assertThat(registry.getMeters()).isNotEmpty().allSatisfy(m -> {
            assertThat(m.getId().getTag("app")).as(m.getId().toString()).isEqualTo("newsletter");
            assertThat(m.getId().getTag("destination")).isEqualTo(DEST);
        });
    }

    @Test
    void destinationTagCanBeDroppedToBoundCardinality() {
        MicrometerEventListener bounded = MicrometerEventListener.builder(registry).destinationTag(false).build();
        for (int i = 0; i < 50; i++) {
            String dest = "mx" + i + ".example:25";
            bounded.sessionReady(dest, null, Duration.ofMillis(1));
            bounded.transactionEnd(dest, report(250, 451, 250, Duration.ofMillis(1)));
        }
        bounded.sessionClosed("mx0.example:25", null, 1);

        assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("destination")).isNull());
        assertThat(registry.find("smtp.messages").counters()).hasSize(1);
        assertThat(registry.get("smtp.sessions.open").gauge().value()).isEqualTo(49);
        assertThat(count("smtp.messages", "outcome", "partial")).isEqualTo(50);
        assertThat(registry.find("smtp.replies").counters()).hasSize(2); // 250 and 451, whatever the destinations
    }

    @Test
    void aRealClientRecordsExactlyTheMetersOfWhatHappened() throws Exception {
        int closedPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort(); // nothing listens there once closed: the connect is refused
        }
        SmtpSessionOptions plain = SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build();
        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@c.test", 550, "5.1.1 no such user").start()) {
            String dest = "127.0.0.1:" + server.port();
            String refused = "127.0.0.1:" + closedPort;
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder().relay("127.0.0.1", server.port())
                    .session(plain).eventListener(listener).build());
            SmtpClient nowhere = SmtpClient.create(SmtpClientOptions.builder().relay("127.0.0.1", closedPort)
                    .session(plain).eventListener(listener).build());

            SendReport partial = client.send(Envelope.of("a@b.test", "x@c.test", "nobody@c.test"),
                    MessageContent.of("Subject: one\r\n\r\nhello\r\n")).block(WAIT);
            SendReport delivered = client.send(Envelope.of("a@b.test", "y@c.test"),
                    MessageContent.of("Subject: two\r\n\r\nhello\r\n")).block(WAIT);
            Throwable failed = catchThrowable(() -> nowhere.send(Envelope.of("a@b.test", "z@c.test"),
                    MessageContent.of("Subject: three\r\n\r\nhello\r\n")).block(WAIT));
            assertThat(partial.outcome()).isEqualTo(SendReport.Outcome.PARTIAL);
            assertThat(delivered.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            assertThat(failed).isInstanceOf(SmtpConnectionException.class);
            assertThat(registry.get("smtp.sessions.open").tags("destination", dest).gauge().value()).isEqualTo(1);

            client.disposeLater().block(WAIT);
            nowhere.disposeLater().block(WAIT);

            // Every meter, with every tag: nothing missing, nothing extra (no TLS timer, no message for the
            // connection that never opened, one connect for two messages on one pooled connection).
            assertThat(registry.getMeters()).extracting(m -> m.getId().getName() + m.getId().getTags())
                    .containsExactlyInAnyOrder(
                            "smtp.messages[tag(destination=" + dest + "), tag(outcome=delivered)]",
                            "smtp.messages[tag(destination=" + dest + "), tag(outcome=partial)]",
                            "smtp.recipients[tag(destination=" + dest + "), tag(status=accepted)]",
                            "smtp.recipients[tag(destination=" + dest + "), tag(status=permanent_failure)]",
                            "smtp.replies[tag(code=250), tag(destination=" + dest + ")]",
                            "smtp.replies[tag(code=550), tag(destination=" + dest + ")]",
                            "smtp.transaction[tag(destination=" + dest + ")]",
                            "smtp.connect[tag(destination=" + dest + ")]",
                            "smtp.sessions.open[tag(destination=" + dest + ")]",
                            "smtp.connections.failed[tag(destination=" + refused + "), tag(exception=SmtpConnectionException)]",
                            // Pacing (on by default) slowed down where the connection was refused, and nowhere else.
                            "smtp.pacing.changes[tag(destination=" + refused + "), tag(direction=decrease), tag(kind=concurrency)]",
                            "smtp.pacing.limit[tag(destination=" + refused + ")]");
            assertThat(registry.get("smtp.pacing.limit").tags("destination", refused).gauge().value())
                    .isEqualTo(Pacing.DEFAULT_INITIAL / 2);
            assertThat(count("smtp.messages", "destination", dest, "outcome", "partial")).isEqualTo(1);
            assertThat(count("smtp.messages", "destination", dest, "outcome", "delivered")).isEqualTo(1);
            assertThat(count("smtp.recipients", "destination", dest, "status", "accepted")).isEqualTo(2);
            assertThat(count("smtp.recipients", "destination", dest, "status", "permanent_failure")).isEqualTo(1);
            assertThat(count("smtp.replies", "destination", dest, "code", "250")).isEqualTo(2);
            assertThat(count("smtp.replies", "destination", dest, "code", "550")).isEqualTo(1);
            assertThat(count("smtp.connections.failed", "destination", refused, "exception", "SmtpConnectionException"))
                    .isEqualTo(1);
            Timer transaction = registry.get("smtp.transaction").tags("destination", dest).timer();
            assertThat(transaction.count()).isEqualTo(2);
            assertThat(transaction.totalTime(TimeUnit.NANOSECONDS))
                    .isEqualTo((double) partial.duration().plus(delivered.duration()).toNanos());
            assertThat(registry.get("smtp.connect").tags("destination", dest).timer().count()).isEqualTo(1);
            // Closed at dispose (QUIT): the gauge is back to zero.
            assertThat(registry.get("smtp.sessions.open").tags("destination", dest).gauge().value()).isEqualTo(0);
        }
    }

    @Test
    void aCommonDestinationTagClashesWithThePerEventOne() {
        assertThatThrownBy(() -> MicrometerEventListener.builder(registry)
                .commonTags(Tags.of("destination", "x")).build())
                .isInstanceOf(IllegalArgumentException.class);
        // Without the per-event tag there is no clash.
        MicrometerEventListener.builder(registry).commonTags(Tags.of("destination", "x")).destinationTag(false)
                .build();
        assertThatThrownBy(() -> MicrometerEventListener.builder(null).build())
                .isInstanceOf(NullPointerException.class);
    }
}
