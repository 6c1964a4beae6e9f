package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.connect;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The session state machine against the scripted server: transactions, pipelining, per-recipient verdicts. */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionTest {

    private static final String BODY = "From: a@b.test\r\nSubject: hi\r\n\r\nHello\r\n.leading dot\r\n";

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    @Test
    void pipelinedDeliveryToSeveralRecipientsSendsMailRcptAndDataInOneGroup() throws Throwable {
        // The server answers nothing until it has read DATA: a lock-step client would time out here.
        Script script = greeted("PIPELINING", "8BITMIME")
                .holdReplies()
                .expect("MAIL FROM:<a@b.test>").send("250 2.1.0 ok")
                .expect("RCPT TO:<x@c.test>").send("250 2.1.5 ok x")
                .expect("RCPT TO:<y@c.test>").send("250 2.1.5 ok y")
                .expect("RCPT TO:<z@d.test>").send("250 2.1.5 ok z")
                .expect("DATA").send("354 go ahead")
                .releaseReplies()
                .expectData().send("250 2.0.0 queued as 42")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            assertThat(session.capabilities().pipelining()).isTrue();
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test", "y@c.test", "z@d.test"),
                    MessageContent.of(BODY)));
            await(session.close());
            server.awaitScriptDone(WAIT);

            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(report.recipients()).extracting(RecipientResult::status).containsOnly(Status.ACCEPTED);
            assertThat(report.recipients()).extracting(RecipientResult::code).containsOnly(250);
            assertThat(report.recipient(MailAddress.of("y@c.test")).rcptReply().orElseThrow().text()).isEqualTo("ok y");
            assertThat(report.dataReply().orElseThrow().text()).isEqualTo("queued as 42");
            assertThat(report.serverAddress()).isPresent();
            assertThat(new String(server.dataReceived(0), StandardCharsets.UTF_8))
                    .isEqualTo("From: a@b.test\r\nSubject: hi\r\n\r\nHello\r\n..leading dot\r\n.\r\n");
        }
    }

    @Test
    void withoutPipeliningTheClientWaitsForEachReply() throws Throwable {
        Duration quiet = Duration.ofMillis(150);
        Script script = greeted("8BITMIME")
                .expect("MAIL FROM:<a@b.test>").expectNothing(quiet).send("250 ok")
                .expect("RCPT TO:<x@c.test>").expectNothing(quiet).send("250 ok")
                .expect("RCPT TO:<y@c.test>").expectNothing(quiet).send("250 ok")
                .expect("DATA").expectNothing(quiet).send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test", "y@c.test"), MessageContent.of(BODY)));
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
        }
    }

    @Test
    void pipeliningCanBeTurnedOffByTheCaller() throws Throwable {
        Duration quiet = Duration.ofMillis(100);
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").expectNothing(quiet).send("250 ok")
                .expect("RCPT TO:<x@c.test>").expectNothing(quiet).send("250 ok")
                .expect("DATA").expectNothing(quiet).send("354 go")
                .expectData().send("250 queued")
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server,
                    SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).pipelining(false).build());
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(BODY)));
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void partialRcptFailureIsReportedRecipientByRecipient() throws Throwable {
        Script script = greeted("PIPELINING", "ENHANCEDSTATUSCODES")
                .expect("MAIL FROM:<a@b.test>").send("250 2.1.0 ok")
                .expect("RCPT TO:<ok@c.test>").send("250 2.1.5 ok")
                .expect("RCPT TO:<gone@c.test>").send("550 5.1.1 no such user")
                .expect("RCPT TO:<later@c.test>").send("451 4.2.1 try later")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(
                    Envelope.of("a@b.test", "ok@c.test", "gone@c.test", "later@c.test"), MessageContent.of(BODY)));
            await(session.close());
            server.awaitScriptDone(WAIT);

            assertThat(report.outcome()).isEqualTo(Outcome.PARTIAL);
            List<RecipientResult> r = report.recipients();
            assertThat(r).extracting(RecipientResult::status)
                    .containsExactly(Status.ACCEPTED, Status.PERMANENT_FAILURE, Status.TRANSIENT_FAILURE);
            assertThat(r).extracting(RecipientResult::code).containsExactly(250, 550, 451);
            assertThat(r.get(1).enhancedStatus()).contains("5.1.1");
            assertThat(r.get(1).text()).isEqualTo("no such user");
            assertThat(r.get(2).enhancedStatus()).contains("4.2.1");
            assertThat(report.acceptedRecipients()).containsExactly(MailAddress.of("ok@c.test"));
            assertThat(report.retryableRecipients()).containsExactly(MailAddress.of("later@c.test"));
        }
    }

    @Test
    void allRecipientsRejectedWithPipelinedDataSendsOnlyTheTerminator() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("550 5.1.1 no")
                .expect("RCPT TO:<y@c.test>").send("550 5.1.1 no")
                .expect("DATA").send("354 go")
                // The very next line must be the terminator: not one byte of content.
                .expect(".").send("554 5.5.1 no valid recipients")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test", "y@c.test"), MessageContent.of(BODY)));
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.REJECTED);
            assertThat(report.recipients()).extracting(RecipientResult::code).containsExactly(550, 550);
            assertThat(server.transcript()).doesNotContain("Hello");
        }
    }

    @Test
    void allRecipientsRejectedWithDataRefusedAlsoSendsNoContentAndResetsBeforeTheNextMessage() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("550 no")
                .expect("DATA").send("554 no valid recipients")
                .expect("RSET").send("250 reset")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport first = await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(BODY)));
            assertThat(first.outcome()).isEqualTo(Outcome.REJECTED);
            assertThat(first.dataReply()).isEmpty();
            assertThat(session.isReusable()).isTrue();
            SendReport second = await(session.send(Envelope.of("a@b.test", "y@c.test"), MessageContent.of(BODY)));
            assertThat(second.outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void lockStepWithAllRecipientsRejectedSendsNoDataAndResetsLater() throws Throwable {
        Script script = greeted()
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("550 no")
                .expect("RCPT TO:<y@c.test>").send("451 later")
                .expect("RSET").send("250 reset")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport first = await(session.send(Envelope.of("a@b.test", "x@c.test", "y@c.test"), MessageContent.of(BODY)));
            assertThat(first.outcome()).isEqualTo(Outcome.REJECTED);
            assertThat(first.retryableRecipients()).containsExactly(MailAddress.of("y@c.test"));
            // Retry only the transient recipient, on the same connection.
            SendReport retry = await(session.send(first.envelope().withRecipients(first.retryableRecipients()),
                    MessageContent.of(BODY)));
            assertThat(retry.outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void severalTransactionsInSequenceNeedNoResetAfterCompletedOnes() throws Throwable {
        Script script = greeted("PIPELINING")
                .repeat(3, s -> s
                        .expect("MAIL FROM:<a@b.test>").send("250 ok")
                        .expectMatching("RCPT TO:<n\\d@c\\.test>").send("250 ok")
                        .expect("DATA").send("354 go")
                        .expectData().send("250 queued"))
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            for (int i = 0; i < 3; i++) {
                SendReport report = await(session.send(Envelope.of("a@b.test", "n" + i + "@c.test"),
                        MessageContent.of("Subject: " + i + "\r\n\r\nbody " + i + "\r\n")));
                assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            }
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(server.connectionCount()).isEqualTo(1);
            assertThat(new String(server.messageReceived(2), StandardCharsets.UTF_8)).contains("body 2");
        }
    }

    @Test
    void mailRejectedDecidesEveryRecipient() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("553 5.7.1 sender refused")
                .expect("RCPT TO:<x@c.test>").send("503 5.5.1 need MAIL")
                .expect("DATA").send("503 5.5.1 need MAIL")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(BODY)));
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.REJECTED);
            assertThat(report.recipients().get(0).code()).isEqualTo(553);
            assertThat(report.mailReply().orElseThrow().code()).isEqualTo(553);
        }
    }

    @Test
    void dataRejectedAfterTheContentFailsTheAcceptedRecipients() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("550 no")
                .expect("DATA").send("354 go")
                .expectData().send("554 5.7.1 spam")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("452 4.3.1 full")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport first = await(session.send(Envelope.of("a@b.test", "x@c.test", "y@c.test"), MessageContent.of(BODY)));
            assertThat(first.recipients()).extracting(RecipientResult::status)
                    .containsExactly(Status.PERMANENT_FAILURE, Status.PERMANENT_FAILURE);
            assertThat(first.recipients().get(0).code()).isEqualTo(554);
            assertThat(first.recipients().get(0).rcptReply().orElseThrow().code()).isEqualTo(250);
            SendReport second = await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(BODY)));
            assertThat(second.recipients().get(0).status()).isEqualTo(Status.TRANSIENT_FAILURE);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void aThousandPipelinedRecipientsWithTheirRepliesHeldUntilDataAreEachAnswered() throws Throwable {
        // The scripted server always reads, so this cannot deadlock; PipeliningDeadlockTest fills the buffers.
        int n = 1000;
        Script script = greeted("PIPELINING")
                .holdReplies()
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .repeat(n, s -> s.expectMatching("RCPT TO:<r\\d+@c\\.test>").send("250 2.1.5 recipient ok"))
                .expect("DATA").send("354 go")
                .releaseReplies()
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            List<String> to = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                to.add("r" + i + "@c.test");
            }
            SendReport report = await(session.send(Envelope.of("a@b.test", to.toArray(new String[0])), MessageContent.of(BODY)));
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(report.recipients()).hasSize(n).extracting(RecipientResult::status).containsOnly(Status.ACCEPTED);
        }
    }

    @Test
    void heloFallbackWhenEhloIsRefused() throws Throwable {
        Script script = Script.create()
                .send("220 old.test SMTP")
                .expect("EHLO client.test").send("502 5.5.2 command not recognized")
                .expect("HELO client.test").send("250 old.test")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            assertThat(session.capabilities().isExtended()).isFalse();
            assertThat(session.capabilities().serverName()).isEqualTo("old.test");
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(BODY)));
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void capabilitiesAreParsedFromEhlo() throws Throwable {
        Script script = greeted("PIPELINING", "SIZE 35882577", "8BITMIME", "SMTPUTF8", "AUTH PLAIN LOGIN",
                "CHUNKING", "DSN", "ENHANCEDSTATUSCODES", "X-VENDOR thing")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Capabilities c = session.capabilities();
            assertThat(c.serverName()).isEqualTo("mx.test");
            assertThat(c.maxSize()).hasValue(35882577L);
            assertThat(c.pipelining() && c.eightBitMime() && c.smtpUtf8() && c.chunking() && c.dsn()
                    && c.enhancedStatusCodes()).isTrue();
            assertThat(c.startTls()).isFalse();
            assertThat(c.authMechanisms()).containsExactly("LOGIN", "PLAIN");
            assertThat(c.parameters("x-vendor")).containsExactly("thing");
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void defaultHeloNameIsTheLocalAddressLiteral() throws Throwable {
        Script script = Script.create().send("220 mx.test").expect("EHLO [127.0.0.1]").send("250 mx.test")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server, SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build());
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void aNonAsciiLocalPartWithoutSmtpUtf8FailsBeforeMail() throws Throwable {
        Script script = greeted("PIPELINING", "8BITMIME")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            assertThatThrownBy(() -> await(session.send(Envelope.of("a@b.test", "jörg@c.test"), MessageContent.of(BODY))))
                    .isInstanceOf(SmtpPolicyException.class)
                    .hasMessageContaining("SMTPUTF8");
            assertThat(session.isReusable()).isTrue();
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void smtpUtf8IsDeclaredOnlyWhenNeededAndIdnDomainsGoAsALabelsOtherwise() throws Throwable {
        Script script = greeted("PIPELINING", "SMTPUTF8")
                .expect("MAIL FROM:<jörg@bücher.test> SMTPUTF8").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("MAIL FROM:<a@xn--bcher-kva.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            assertThat(await(session.send(Envelope.of("jörg@bücher.test", "x@c.test"), MessageContent.of(BODY))).outcome())
                    .isEqualTo(Outcome.DELIVERED);
            assertThat(await(session.send(Envelope.of("a@bücher.test", "x@c.test"), MessageContent.of(BODY))).outcome())
                    .isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void oneTransactionAtATime() throws Throwable {
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").delay(Duration.ofMillis(200)).send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            var first = session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(BODY));
            assertThatThrownBy(() -> await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(BODY))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("busy");
            assertThat(await(first).outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }
}
