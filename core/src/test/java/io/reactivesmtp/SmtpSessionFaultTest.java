package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.connect;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Faults and hostile servers: 421 and closes at every step, stalls, malformed replies, failing content. */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionFaultTest {

    private static final String BODY = "Subject: hi\r\n\r\nHello\r\n";
    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test", "y@c.test");

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    /** The steps of a pipelined transaction where a server can fail. */
    enum Step {
        MAIL, RCPT, DATA, CONTENT, FINAL_DOT;

        /** The script up to (not including) the server's answer at this step. */
        Script upTo(Script s) {
            s = s.expect("MAIL FROM:<a@b.test>");
            if (this == MAIL) {
                return s;
            }
            s = s.send("250 ok").expect("RCPT TO:<x@c.test>").send("250 ok").expect("RCPT TO:<y@c.test>");
            if (this == RCPT) {
                return s;
            }
            s = s.send("550 no").expect("DATA");
            if (this == DATA) {
                return s;
            }
            s = s.send("354 go");
            if (this == CONTENT) {
                return s;
            }
            return s.expectData();
        }
    }

    @ParameterizedTest
    @EnumSource(Step.class)
    void a421AtAnyTransactionStepFailsAsTransientAndDiscardsTheConnection(Step step) throws Throwable {
        // The server leaves the closing to the client: it must discard the connection by itself.
        Script script = step.upTo(greeted("PIPELINING")).send("421 4.3.2 shutting down").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(ENVELOPE, MessageContent.of(BODY)));
            RecipientResult x = report.recipients().get(0);
            assertThat(x.status()).isEqualTo(Status.TRANSIENT_FAILURE);
            assertThat(x.code()).isEqualTo(421);
            assertThat(report.acceptedRecipients()).isEmpty();
            // The 421 is given as the reply to the command it answered: MAIL's, or MAIL's 250 before it.
            assertThat(report.mailReply().orElseThrow().code()).isEqualTo(step == Step.MAIL ? 421 : 250);
            if (step == Step.MAIL || step == Step.RCPT) {
                assertThat(report.retryableRecipients()).hasSize(2);
            } else {
                // y was refused for good before the 421: never retried.
                assertThat(report.retryableRecipients()).containsExactly(MailAddress.of("x@c.test"));
            }
            await(session.closeFuture());
            assertThat(session.isReusable()).isFalse();
            assertThat(catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY)))))
                    .isInstanceOf(SmtpConnectionException.class);
        }
    }

    @Test
    void a421WhileTheContentStreamsFailsAsTransient() throws Throwable {
        // A large body keeps the client writing while the 421 arrives.
        byte[] big = ("x".repeat(998) + "\r\n").repeat(20_000).getBytes(StandardCharsets.US_ASCII);
        Script script = Step.CONTENT.upTo(greeted("PIPELINING")).send("421 4.3.2 going away").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            // The server reads on and never closes (ignoreRest): nothing can race the 421, so the client always
            // reads it and ends the transaction with a transient verdict, then discards the connection itself.
            SendReport report = await(session.send(ENVELOPE, MessageContent.of(big)));
            assertThat(report.outcome()).isEqualTo(Outcome.REJECTED);
            assertThat(report.recipients()).extracting(RecipientResult::status)
                    .containsExactly(Status.TRANSIENT_FAILURE, Status.PERMANENT_FAILURE);
            assertThat(report.recipients()).extracting(RecipientResult::code).containsExactly(421, 550);
            assertThat(report.retryableRecipients()).containsExactly(MailAddress.of("x@c.test"));
            await(session.closeFuture());
            assertThat(session.isReusable()).isFalse();
            assertThat(server.dataCount()).isZero();
            assertThat(server.transcript()).doesNotContain("C: .\n");
        }
    }

    @Test
    void a421GreetingRejectsTheSession() throws Throwable {
        Script script = Script.create().send("421 4.3.2 busy, try later").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(connector, server));
            assertThat(error).isInstanceOf(SmtpSessionRejectedException.class);
            assertThat(((SmtpException) error).isRetryable()).isTrue();
            assertThat(((SmtpSessionRejectedException) error).reply().code()).isEqualTo(421);
        }
    }

    @Test
    void a554GreetingRejectsTheSessionForGoodAndTheClientQuits() throws Throwable {
        Script script = Script.create().send("554 5.7.1 go away").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(connector, server));
            assertThat(error).isInstanceOf(SmtpSessionRejectedException.class);
            assertThat(((SmtpException) error).isRetryable()).isFalse();
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void a421ToEhloRejectsTheSession() throws Throwable {
        Script script = Script.create().send("220 mx.test").expectMatching("EHLO .*").send("421 closing").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(connector, server));
            assertThat(error).isInstanceOf(SmtpSessionRejectedException.class);
            assertThat(((SmtpException) error).isRetryable()).isTrue();
        }
    }

    @Test
    void closeBeforeTheGreetingFailsTheConnect() throws Throwable {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create().close())) {
            Throwable error = catchThrowable(() -> connect(connector, server));
            assertThat(error).isInstanceOf(SmtpConnectionException.class);
            assertThat(((SmtpException) error).isRetryable()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Step.class, names = {"MAIL", "RCPT", "DATA", "CONTENT"})
    void closeBeforeTheFinalDotFailsAsRetryableAndNobodyIsDelivered(Step step) throws Throwable {
        // During the content, a source that never ends: the final dot cannot race the close.
        MessageContent content = step == Step.CONTENT ? MessageContent.of(stalledAfterOneChunk()) : MessageContent.of(BODY);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(step.upTo(greeted("PIPELINING")).close())) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, content)));
            assertThat(error).isInstanceOf(SmtpConnectionException.class);
            SmtpException e = (SmtpException) error;
            assertThat(e.isRetryable()).isTrue();
            SendReport partial = e.partialReport().orElseThrow();
            assertThat(partial.acceptedRecipients()).isEmpty();
            // x never got its verdict (y's 550 at DATA and CONTENT is one): unknown, never delivered.
            assertThat(partial.outcome()).isEqualTo(Outcome.UNKNOWN);
            assertThat(partial.recipient(MailAddress.of("x@c.test")).status()).isEqualTo(Status.UNDETERMINED);
        }
    }

    private static Flow.Publisher<ByteBuf> stalledAfterOneChunk() {
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            boolean sent;

            @Override
            public void request(long n) {
                if (!sent) {
                    sent = true;
                    subscriber.onNext(Unpooled.copiedBuffer("Subject: stalled\r\n\r\n", StandardCharsets.US_ASCII));
                }
            }

            @Override
            public void cancel() {
            }
        });
    }

    @Test
    void closeAfterTheFinalDotMakesTheOutcomeUnknownNeverDelivered() throws Throwable {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Step.FINAL_DOT.upTo(greeted("PIPELINING")).close())) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertThat(error).isInstanceOf(SmtpUnknownOutcomeException.class);
            SmtpException e = (SmtpException) error;
            assertThat(e.isRetryable()).isFalse();
            SendReport partial = e.partialReport().orElseThrow();
            assertThat(partial.outcome()).isEqualTo(Outcome.UNKNOWN);
            assertThat(partial.recipients().get(0).status()).isEqualTo(Status.UNKNOWN_AFTER_DATA);
            assertThat(partial.recipients().get(0).rcptReply().orElseThrow().code()).isEqualTo(250);
            assertThat(partial.recipients().get(1).status()).isEqualTo(Status.PERMANENT_FAILURE);
            assertThat(partial.acceptedRecipients()).isEmpty();
        }
    }

    @Test
    void closeWhileIdleIsNoticedByTheNextSend() throws Throwable {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greeted("PIPELINING").close())) {
            SmtpSession session = connect(connector, server);
            await(session.closeFuture());
            assertThat(session.isReusable()).isFalse();
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertThat(error).isInstanceOf(SmtpConnectionException.class);
        }
    }

    private static SmtpSessionOptions shortTimeouts(UnaryOperator<SmtpSessionOptions.Builder> tweak) {
        return tweak.apply(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)).build();
    }

    @Test
    void noGreetingTimesOut() throws Throwable {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create().delay(Duration.ofSeconds(5)).ignoreRest())) {
            Throwable error = catchThrowable(() -> connect(connector, server,
                    shortTimeouts(b -> b.timeout(SmtpPhase.GREETING, Duration.ofMillis(200)))));
            assertThat(error).isInstanceOf(SmtpTimeoutException.class);
            assertThat(((SmtpTimeoutException) error).phase()).isEqualTo(SmtpPhase.GREETING);
            assertThat(((SmtpException) error).isRetryable()).isTrue();
        }
    }

    @Test
    void noReplyToRcptTimesOutBeforeTheDot() throws Throwable {
        Script script = greeted().expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").delay(Duration.ofSeconds(5)).ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server,
                    shortTimeouts(b -> b.timeout(SmtpPhase.RCPT, Duration.ofMillis(200))));
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertThat(error).isInstanceOf(SmtpTimeoutException.class);
            assertThat(((SmtpTimeoutException) error).phase()).isEqualTo(SmtpPhase.RCPT);
            await(session.closeFuture());
        }
    }

    @Test
    void noReplyAfterTheFinalDotIsAnUnknownOutcome() throws Throwable {
        Script script = Step.FINAL_DOT.upTo(greeted("PIPELINING")).delay(Duration.ofSeconds(5)).ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server,
                    shortTimeouts(b -> b.timeout(SmtpPhase.DATA_TERMINATION, Duration.ofMillis(200))));
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertThat(error).isInstanceOf(SmtpUnknownOutcomeException.class);
            assertThat(error.getCause()).isInstanceOf(SmtpTimeoutException.class);
            assertThat(((SmtpException) error).partialReport().orElseThrow().outcome()).isEqualTo(Outcome.UNKNOWN);
        }
    }

    @Test
    void repliesSplitOneBytePerSegmentWork() throws Throwable {
        Script script = Script.create()
                .sendOneBytePerSegment("220 mx.test ESMTP")
                .expectMatching("EHLO \\S+").sendOneBytePerSegment("250-mx.test", "250-PIPELINING", "250 8BITMIME")
                .expect("MAIL FROM:<a@b.test>").sendOneBytePerSegment("250 ok")
                .expect("RCPT TO:<x@c.test>").sendOneBytePerSegment("250 ok")
                .expect("RCPT TO:<y@c.test>").sendOneBytePerSegment("550 5.1.1 no")
                .expect("DATA").sendOneBytePerSegment("354 go")
                .expectData().sendOneBytePerSegment("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(ENVELOPE, MessageContent.of(BODY)));
            assertThat(report.recipients()).extracting(RecipientResult::code).containsExactly(250, 550);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void manyRepliesInOneSegmentWork() throws Throwable {
        Script script = Script.create()
                .expectNothing(Duration.ZERO)
                .sendRaw("220 mx.test\r\n")
                .expectMatching("EHLO \\S+").sendRaw("250-mx.test\r\n250 PIPELINING\r\n")
                .expect("MAIL FROM:<a@b.test>").expect("RCPT TO:<x@c.test>").expect("RCPT TO:<y@c.test>").expect("DATA")
                .sendRaw("250 ok\r\n250 ok\r\n451 4.2.1 later\r\n354 go\r\n")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(ENVELOPE, MessageContent.of(BODY)));
            assertThat(report.recipients()).extracting(RecipientResult::code).containsExactly(250, 451);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void mixedCodesInOneMultiLineReplyAreAProtocolError() throws Throwable {
        Script script = Script.create().send("220 mx.test").expectMatching("EHLO .*")
                .send("250-mx.test", "251 PIPELINING").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(connector, server));
            assertThat(error).isInstanceOf(SmtpProtocolException.class);
            server.awaitConnectionClosed(WAIT);
        }
    }

    @Test
    void aMalformedReplyCodeMidTransactionIsAProtocolErrorWithAPartialReport() throws Throwable {
        Script script = greeted("PIPELINING").expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("2X0 ok").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertThat(error).isInstanceOf(SmtpProtocolException.class);
            assertThat(error.getMessage()).contains("2X0");
            assertThat(((SmtpException) error).partialReport().orElseThrow().acceptedRecipients()).isEmpty();
            server.awaitConnectionClosed(WAIT);
        }
    }

    @Test
    void endlessContinuationLinesAreCutOffAndTheConnectionClosed() throws Throwable {
        String[] flood = new String[600];
        for (int i = 0; i < flood.length; i++) {
            flood[i] = "220-still greeting " + i;
        }
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create().send(flood).ignoreRest())) {
            Throwable error = catchThrowable(() -> connect(connector, server,
                    shortTimeouts(b -> b.maxReplyLines(100))));
            assertThat(error).isInstanceOf(SmtpProtocolException.class);
            server.awaitConnectionClosed(WAIT);
        }
    }

    @Test
    void aReplyWithNoCommandPendingClosesTheSession() throws Throwable {
        // Later, while idle (in the same read as the EHLO reply, see SmtpSessionLockStepTest).
        Script script = greeted("PIPELINING").delay(Duration.ofMillis(300)).send("250 surprise").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            await(session.closeFuture());
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertThat(error).isInstanceOf(SmtpConnectionException.class).hasMessageContaining("no command pending");
        }
    }

    @Test
    void failingContentClosesTheConnectionWithoutTheFinalDot() throws Throwable {
        Flow.Publisher<ByteBuf> failing = subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            int sent;

            @Override
            public void request(long n) {
                if (sent++ == 0) {
                    subscriber.onNext(Unpooled.copiedBuffer("Subject: partial\r\n\r\nfirst part\r\n", StandardCharsets.US_ASCII));
                } else {
                    subscriber.onError(new IllegalStateException("disk on fire"));
                }
            }

            @Override
            public void cancel() {
            }
        });
        Script script = Step.CONTENT.upTo(greeted("PIPELINING")).ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(failing))));
            assertThat(error).isInstanceOf(SmtpContentException.class).hasMessageContaining("disk on fire");
            assertThat(((SmtpException) error).isRetryable()).isFalse();
            server.awaitConnectionClosed(WAIT);
            assertThat(server.dataCount()).isZero();
            // The part read before the failure may or may not have gone out; the final dot never does.
            assertThat(server.transcript()).doesNotContain("C: .\n");
        }
    }
}
