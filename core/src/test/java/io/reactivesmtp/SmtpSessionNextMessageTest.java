package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.connect;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The next message pipelined behind the end of data (RFC 2920 section 3.1): one round trip per message on a busy
 * connection, and every verdict still paired with its own message.
 */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionNextMessageTest {

    private static final Envelope FIRST = Envelope.of("a@b.test", "x@c.test");
    private static final Envelope SECOND = Envelope.of("a@b.test", "y@c.test");

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    private static MessageContent body(int n) {
        return MessageContent.of("Subject: " + n + "\r\n\r\nmessage " + n + "\r\n");
    }

    /** Sends FIRST and, the moment the session takes the next message, SECOND; returns both results. */
    private static List<CompletableFuture<SendReport>> sendTwo(SmtpSession session) {
        List<CompletableFuture<SendReport>> results = new ArrayList<>();
        CompletableFuture<SendReport> second = new CompletableFuture<>();
        results.add(session.send(FIRST, body(1), () -> session.send(SECOND, body(2)).whenComplete((r, e) -> {
            if (e != null) {
                second.completeExceptionally(e);
            } else {
                second.complete(r);
            }
        })));
        results.add(second);
        return results;
    }

    @Test
    void theNextMessagesCommandsFollowTheEndOfDataBeforeItsReply() throws Throwable {
        // The server answers the first end of data only after it has read the second MAIL, RCPT and DATA: a
        // client that waits for that reply first would stall here.
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData()
                .holdReplies()
                .send("250 queued 1")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .releaseReplies()
                .expectData().send("250 queued 2")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            List<CompletableFuture<SendReport>> results = sendTwo(session);
            SendReport first = await(results.get(0));
            SendReport second = await(results.get(1));
            await(session.close());
            server.awaitScriptDone(WAIT);

            assertThat(first.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(first.dataReply().orElseThrow().text()).isEqualTo("queued 1");
            assertThat(second.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(second.dataReply().orElseThrow().text()).isEqualTo("queued 2");
            assertThat(new String(server.dataReceived(1), StandardCharsets.US_ASCII)).contains("message 2");
        }
    }

    @Test
    void aRefusedEndOfDataDoesNotTouchTheMessageBehindIt() throws Throwable {
        Script script = greeted("PIPELINING", "ENHANCEDSTATUSCODES")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData()
                .holdReplies()
                .send("554 5.7.1 spam")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .releaseReplies()
                .expectData().send("250 2.0.0 queued 2")
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            List<CompletableFuture<SendReport>> results = sendTwo(session);
            SendReport first = await(results.get(0));
            SendReport second = await(results.get(1));
            server.awaitScriptDone(WAIT);

            assertThat(first.outcome()).isEqualTo(Outcome.REJECTED);
            assertThat(first.recipients()).extracting(RecipientResult::status).containsOnly(Status.PERMANENT_FAILURE);
            assertThat(second.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(session.isReusable()).isTrue();
        }
    }

    @Test
    void aConnectionLostBehindTheEndOfDataLeavesTheFirstUnknownAndTheSecondUndelivered() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData()
                .expect("MAIL FROM:<a@b.test>")
                .expect("RCPT TO:<y@c.test>")
                .expect("DATA")
                .close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            List<CompletableFuture<SendReport>> results = sendTwo(session);
            Throwable first = catchThrowable(() -> await(results.get(0)));
            Throwable second = catchThrowable(() -> await(results.get(1)));
            server.awaitScriptDone(WAIT);

            // The server may have queued the first message before the connection broke: never "failed".
            assertThat(first).isInstanceOf(SmtpUnknownOutcomeException.class);
            // The second never reached its end of data: nothing can have been delivered, a retry is safe.
            assertThat(second).isInstanceOf(SmtpConnectionException.class);
            assertThat(((SmtpException) second).isRetryable()).isTrue();
            assertThat(((SmtpException) second).partialReport().orElseThrow().mailReply()).isEmpty();
        }
    }

    @Test
    void a421InsteadOfTheFinalReplyEndsBothMessagesWithTransientVerdicts() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData()
                .expect("MAIL FROM:<a@b.test>")
                .expect("RCPT TO:<y@c.test>")
                .expect("DATA")
                .send("421 4.3.2 shutting down")
                .close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            List<CompletableFuture<SendReport>> results = sendTwo(session);
            SendReport first = await(results.get(0));
            SendReport second = await(results.get(1));
            server.awaitScriptDone(WAIT);

            assertThat(first.recipients()).extracting(RecipientResult::status).containsOnly(Status.TRANSIENT_FAILURE);
            assertThat(first.recipients()).extracting(RecipientResult::code).containsOnly(421);
            assertThat(second.recipients()).extracting(RecipientResult::status).containsOnly(Status.TRANSIENT_FAILURE);
            assertThat(session.isReusable()).isFalse();
        }
    }

    @Test
    void closingWhileTheFinalReplyIsDueStillCollectsIt() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData()
                .expect("QUIT")
                .send("250 queued 1", "221 bye")
                .close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            CompletableFuture<SendReport> first = session.send(FIRST, body(1), session::close);
            SendReport report = await(first);
            await(session.closeFuture());
            server.awaitScriptDone(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
        }
    }

    @Test
    void withoutPipeliningTheNextMessageWaitsForTheReport() throws Throwable {
        Duration quiet = Duration.ofMillis(150);
        Script script = greeted("8BITMIME")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().expectNothing(quiet).send("250 queued 1")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued 2")
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            List<CompletableFuture<SendReport>> results = sendTwo(session);
            // The script fails if the second MAIL comes before the first message's final reply was sent.
            assertThat(await(results.get(0)).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(await(results.get(1)).outcome()).isEqualTo(Outcome.DELIVERED);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void aThirdMessageMustWaitUntilTheSecondHasEndedItsData() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData()
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            CompletableFuture<Throwable> third = new CompletableFuture<>();
            session.send(FIRST, body(1), () -> {
                session.send(SECOND, body(2));
                session.send(SECOND, body(3)).whenComplete((r, e) -> third.complete(e));
            });
            assertThat(await(third)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("busy with another message");
        }
    }
}
