package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The Mono API against the scripted server: cold, verdicts as data, errors typed. */
class SmtpClientTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test", "y@c.test");
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello from Reactor\r\n");

    private static Script transaction(String yReply) {
        return Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250 PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 2.1.5 ok")
                .expect("RCPT TO:<y@c.test>").send(yReply)
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
    }

    private static SmtpClient client(ScriptedSmtpServer server) {
        return SmtpClient.create(SmtpClientOptions.builder()
                .relay("127.0.0.1", server.port())
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                .build());
    }

    @Test
    void sendReportsEveryRecipientAndQuits() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(transaction("550 5.1.1 no such user"))) {
            SmtpClient client = client(server);
            SendReport report = client.send(ENVELOPE, BODY).block(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.PARTIAL);
            assertThat(report.recipients()).extracting(RecipientResult::code).containsExactly(250, 550);
            client.disposeLater().block(WAIT);   // the pooled session QUITs when the client is disposed
            server.awaitScriptDone(WAIT);
            assertThat(new String(server.messageReceived(0), StandardCharsets.UTF_8)).contains("Hello from Reactor");
        }
    }

    @Test
    void theMonoIsColdAndEachSubscriptionSendsAgain() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(transaction("250 ok"))) {
            // One message per connection, so each subscription opens (and QUITs) a session of its own.
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay("127.0.0.1", server.port())
                    .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                    .pool(PoolOptions.builder().maxMessagesPerConnection(1).build())
                    .build());
            Mono<SendReport> send = client.send(ENVELOPE, BODY);
            assertThat(server.connectionCount()).isZero();
            assertThat(send.block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(send.block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            server.awaitScriptDone(2, WAIT);
            assertThat(server.connectionCount()).isEqualTo(2);
            assertThat(server.dataCount()).isEqualTo(2);
        }
    }

    @Test
    void refusedConnectionIsARetryableConnectionError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        SmtpClient client = SmtpClient.create(SmtpClientOptions.builder().relay("127.0.0.1", port).build());
        StepVerifier.create(client.send(ENVELOPE, BODY))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(SmtpConnectionException.class).hasMessageContaining("127.0.0.1:" + port);
                    assertThat(((SmtpException) e).isRetryable()).isTrue();
                })
                .verify(WAIT);
    }

    @Test
    void aRejectedSessionErrorsTheMono() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(
                Script.create().send("554 5.7.1 no service").expect("QUIT").send("221 bye").close())) {
            StepVerifier.create(client(server).send(ENVELOPE, BODY))
                    .expectError(SmtpSessionRejectedException.class)
                    .verify(WAIT);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void noReplyAfterTheDotErrorsWithUnknownOutcome() {
        Script script = Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250 mx.test")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            StepVerifier.create(client(server).send(ENVELOPE, BODY))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(SmtpUnknownOutcomeException.class);
                        assertThat(((SmtpException) e).isRetryable()).isFalse();
                    })
                    .verify(WAIT);
        }
    }

    /** Waits (bounded) until the server's first connection has received {@code line}. */
    private static void awaitLine(ScriptedSmtpServer server, String line) {
        server.awaitConnections(1, WAIT);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!server.linesReceived(0).contains(line)) {
            assertThat(System.nanoTime() - deadline).as("the server received " + line).isNegative();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void cancellingBeforeDataResetsAndTheNextSendReusesTheConnection() {
        // No PIPELINING: the cancel comes while RCPT awaits its reply (held 1 s, ample on a loaded machine),
        // before DATA was written.
        Script script = Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250 mx.test")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").delay(Duration.ofSeconds(1)).send("250 ok")
                .expect("RSET").send("250 2.0.0 reset")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay("127.0.0.1", server.port())
                    .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(1).build())
                    .build());
            Disposable first = client.send(Envelope.of("a@b.test", "x@c.test"), BODY).subscribe();
            awaitLine(server, "RCPT TO:<x@c.test>");
            first.dispose();
            SendReport second = client.send(Envelope.of("a@b.test", "y@c.test"), BODY).block(WAIT);
            assertThat(second.outcome()).as(server.transcript()).isEqualTo(Outcome.DELIVERED);
            client.disposeLater().block(WAIT);
            server.awaitScriptDone(WAIT);
            assertThat(server.connectionCount()).isEqualTo(1);
            assertThat(server.dataCount()).isEqualTo(1);
        }
    }

    @Test
    void cancellingAfterDataClosesTheConnection() {
        Script script = Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250 PIPELINING")
                .expect("MAIL FROM:<a@b.test>").expectLines(2, "RCPT TO:.*").expect("DATA")
                .expectClose(WAIT);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            StepVerifier.create(client(server).send(ENVELOPE, BODY))
                    .then(() -> awaitLine(server, "DATA"))
                    .thenCancel()
                    .verify(WAIT);
            server.awaitScriptDone(WAIT);
        }
    }
}
