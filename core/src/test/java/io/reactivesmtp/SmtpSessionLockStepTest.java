package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.connect;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replies that answer nothing: a server that sends an extra reply in the same read as a genuine one, at each step
 * of the dialogue. The session must fail with a protocol error naming the extra reply before it writes the next
 * command or any content; the scripts end with {@code expectClose}, so a command that leaves anyway fails them.
 */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionLockStepTest {

    @TempDir
    static Path pemDir;

    private static final String BODY = "Subject: hi\r\n\r\nHello\r\n";
    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test");
    private static final Credentials ALICE = Credentials.password("alice", "s3cret-Pa55");

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static SmtpSessionOptions plaintextAuth() {
        return SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)
                .credentials(ALICE).allowAuthWithoutTls(true).build();
    }

    /** A protocol error whose message names the unexpected reply and what it came behind. */
    private static void assertUnexpected(Throwable error, String extra, String behind) {
        assertThat(error).isInstanceOf(SmtpProtocolException.class)
                .hasMessageContaining("no command pending")
                .hasMessageContaining(extra)
                .hasMessageContaining("behind the reply to " + behind);
    }

    /** The transaction up to the server's answer to the named command, without PIPELINING. */
    private static Script lockStepUpTo(String command) {
        Script s = greeted("8BITMIME").expect("MAIL FROM:<a@b.test>");
        if (command.equals("MAIL")) {
            return s;
        }
        s = s.send("250 ok").expect("RCPT TO:<x@c.test>");
        if (command.equals("RCPT")) {
            return s;
        }
        s = s.send("250 ok").expect("DATA");
        if (command.equals("DATA")) {
            return s;
        }
        return s.send("354 go").expectData();
    }

    @Test
    void anExtraReplyBehindTheGreetingFailsBeforeEhlo() throws Throwable {
        Script script = Script.create().send("220 mx.test ESMTP", "250 surprise").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            assertUnexpected(catchThrowable(() -> connect(connector, server)), "250 surprise", "greeting");
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void anExtraReplyBehindTheEhloReplyFailsBeforeAuth() throws Throwable {
        // Paired with AUTH, the extra 235 would authenticate the client without a word from the server about it.
        Script script = Script.create().send("220 mx.test ESMTP").expect("EHLO client.test")
                .send("250-mx.test", "250 AUTH PLAIN", "235 2.7.0 authenticated").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            assertUnexpected(catchThrowable(() -> connect(connector, server, plaintextAuth())), "235 2.7.0 authenticated", "EHLO");
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void anExtraReplyBehindThePostTlsEhloReplyFailsBeforeAuth() throws Throwable {
        Script script = Script.create().send("220 mx.test ESMTP").expect("EHLO client.test")
                .send("250-mx.test", "250 STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 ready")
                .startTls(TestPki.serverContext(TestPki.good()))
                .expect("EHLO client.test").send("250-mx.test", "250 AUTH PLAIN", "235 2.7.0 authenticated")
                .expectClose(WAIT);
        SmtpSessionOptions options = SmtpSessionOptions.builder().heloName("client.test").credentials(ALICE)
                .tls(TlsOptions.builder().policy(TlsPolicy.REQUIRED).trustPem(TestPki.caPem(pemDir)).build()).build();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> await(connector.connect("localhost", server.port(), options)));
            assertUnexpected(error, "235 2.7.0 authenticated", "EHLO");
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void anExtraChallengeBehindAnAuthChallengeFailsBeforeTheUserNameIsSent() throws Throwable {
        Script script = greeted("AUTH LOGIN").expect("AUTH LOGIN")
                .send("334 " + b64("Username:"), "334 " + b64("Password:")).expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            assertUnexpected(catchThrowable(() -> connect(connector, server, plaintextAuth())),
                    "334 " + b64("Password:"), "AUTH");
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void anExtraReplyBehindTheMailReplyFailsBeforeRcpt() throws Throwable {
        Script script = lockStepUpTo("MAIL").send("250 ok", "250 surprise").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertUnexpected(error, "250 surprise", "MAIL");
            assertThat(((SmtpException) error).partialReport().orElseThrow().acceptedRecipients()).isEmpty();
            server.awaitScriptDone(WAIT);
            assertThat(session.isReusable()).isFalse();
        }
    }

    @Test
    void a354BehindTheRcptReplyFailsBeforeDataAndNoContentIsSent() throws Throwable {
        Script script = lockStepUpTo("RCPT").send("250 ok", "354 go ahead").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertUnexpected(error, "354 go ahead", "RCPT");
            server.awaitScriptDone(WAIT);
            assertThat(server.dataCount()).isZero();
            assertThat(server.linesReceived(0)).noneMatch(line -> line.equals("DATA") || line.startsWith("Subject"));
        }
    }

    @Test
    void anExtraReplyBehindThe354FailsBeforeAnyContent() throws Throwable {
        // Paired with the end of data, the extra 250 would report a delivery nobody confirmed.
        Script script = lockStepUpTo("DATA").send("354 go", "250 2.0.0 queued").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertUnexpected(error, "250 2.0.0 queued", "DATA");
            assertThat(((SmtpException) error).partialReport().orElseThrow().outcome()).isNotEqualTo(Outcome.DELIVERED);
            server.awaitScriptDone(WAIT);
            assertThat(server.dataCount()).isZero();
        }
    }

    @Test
    void anExtraReplyBehindTheFinalReplyKeepsTheVerdictButFailsTheSessionBeforeTheNextMail() throws Throwable {
        Script script = lockStepUpTo("FINAL").send("250 2.0.0 queued", "250 surprise").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            AtomicReference<CompletableFuture<SendReport>> next = new AtomicReference<>();
            // The next message starts as soon as the session takes it: inside the handling of the final reply.
            SendReport first = await(session.send(ENVELOPE, MessageContent.of(BODY),
                    () -> next.set(session.send(ENVELOPE, MessageContent.of(BODY)))));
            assertThat(first.outcome()).isEqualTo(Outcome.DELIVERED);
            assertUnexpected(catchThrowable(() -> await(next.get())), "250 surprise", "end of data");
            server.awaitScriptDone(WAIT);
            assertThat(session.isReusable()).isFalse();
        }
    }

    @Test
    void anExtraReplyBehindTheRsetReplyFailsBeforeMail() throws Throwable {
        // Every recipient refused: the server holds an open transaction, so the next one starts with RSET.
        Script script = lockStepUpTo("RCPT").send("550 5.1.1 no such user")
                .expect("RSET").send("250 ok", "250 surprise").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            assertThat(await(session.send(ENVELOPE, MessageContent.of(BODY))).outcome()).isEqualTo(Outcome.REJECTED);
            assertUnexpected(catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY)))),
                    "250 surprise", "RSET");
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void withPipeliningAnExtraReplyBeyondThePendingGroupFailsBeforeAnyContent() throws Throwable {
        Script script = greeted("PIPELINING").expect("MAIL FROM:<a@b.test>").expect("RCPT TO:<x@c.test>").expect("DATA")
                .send("250 ok", "250 ok", "354 go", "250 2.0.0 queued").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(BODY))));
            assertUnexpected(error, "250 2.0.0 queued", "DATA");
            server.awaitScriptDone(WAIT);
            assertThat(server.dataCount()).isZero();
        }
    }

    @Test
    void a421BehindAReplyStillMeansTheServerIsClosing() throws Throwable {
        Script script = lockStepUpTo("MAIL").send("250 ok", "421 4.3.2 shutting down").expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(ENVELOPE, MessageContent.of(BODY)));
            assertThat(report.recipients().get(0).status()).isEqualTo(Status.TRANSIENT_FAILURE);
            assertThat(report.recipients().get(0).code()).isEqualTo(421);
            server.awaitScriptDone(WAIT); // and the RCPT its 250 asked for never left
        }
    }

    @Test
    void aReplyReadBeforeTheCommandItWouldAnswerWasSentFailsTheSession() throws Throwable {
        // Two inbound messages, then one read-complete: two TLS records decrypted from one socket read arrive like
        // this, so the buffered-bytes check after the first reply cannot see the second.
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            SmtpSession session = SmtpSession.install(channel,
                    SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build(), "mx.test", 25);
            channel.writeInbound(Unpooled.copiedBuffer("220 mx.test\r\n", StandardCharsets.US_ASCII),
                    Unpooled.copiedBuffer("250 mx.test\r\n", StandardCharsets.US_ASCII));
            Throwable error = catchThrowable(() -> await(session.ready()));
            assertThat(error).isInstanceOf(SmtpProtocolException.class)
                    .hasMessageContaining("no command pending: 250 mx.test")
                    .hasMessageContaining("before EHLO was sent");
            assertThat((Object) channel.readOutbound()).as("EHLO never left").isNull();
            assertThat(channel.isOpen()).isFalse();
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
