package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SmtpEventListener#tlsEstablished}: once per connection that runs TLS, with what was negotiated. */
class SmtpClientTlsListenerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");

    @TempDir
    static Path pemDir;

    /** What the listener heard, in order. */
    static final class Recording implements SmtpEventListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<TlsInfo> tls = new CopyOnWriteArrayList<>();
        final List<Duration> tlsElapsed = new CopyOnWriteArrayList<>();
        final List<Duration> readyElapsed = new CopyOnWriteArrayList<>();

        @Override
        public void sessionReady(String destination, SmtpSession session, Duration elapsed) {
            events.add("ready " + destination);
            readyElapsed.add(elapsed);
        }

        @Override
        public void tlsEstablished(String destination, TlsInfo info, Duration elapsed) {
            events.add("tls " + destination);
            tls.add(info);
            tlsElapsed.add(elapsed);
        }
    }

    private static Script twoMessages(Script greeted) {
        return greeted.repeat(2, s -> s
                        .expect("MAIL FROM:<a@b.test>").send("250 ok")
                        .expect("RCPT TO:<x@c.test>").send("250 ok")
                        .expect("DATA").send("354 go")
                        .expectData().send("250 2.0.0 queued"))
                .expect("QUIT").send("221 bye").close();
    }

    @Test
    void tlsEstablishedIsCalledOnceForAStartTlsConnectionWithTheNegotiatedTls() {
        Script script = twoMessages(Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250 STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 ready")
                .startTls(TestPki.serverContext(TestPki.good()))
                .expect("EHLO client.test").send("250 mx.test"));
        Recording listener = new Recording();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            // The certificate names localhost: the client verifies it against the host it was given.
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay("localhost", server.port())
                    .session(SmtpSessionOptions.builder().heloName("client.test")
                            .tls(TlsOptions.builder().policy(TlsPolicy.REQUIRED).trustPem(TestPki.caPem(pemDir)).build())
                            .build())
                    .eventListener(listener)
                    .build());
            SendReport first = client.send(Envelope.of("a@b.test", "x@c.test"), BODY).block(WAIT);
            SendReport second = client.send(Envelope.of("a@b.test", "x@c.test"), BODY).block(WAIT);
            assertThat(first.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(second.outcome()).isEqualTo(Outcome.DELIVERED);
            client.disposeLater().block(WAIT);
            server.awaitScriptDone(WAIT);

            String destination = "localhost:" + server.port();
            assertThat(listener.events).containsExactly("ready " + destination, "tls " + destination);
            TlsInfo tls = listener.tls.get(0);
            assertThat(tls).isEqualTo(first.tls().orElseThrow());
            assertThat(tls.protocol()).startsWith("TLSv1.");
            assertThat(tls.peerPrincipal()).isPresent();
            assertThat(listener.tlsElapsed.get(0)).isPositive().isLessThanOrEqualTo(listener.readyElapsed.get(0));
        }
    }

    @Test
    void tlsEstablishedIsNotCalledForAPlaintextConnection() {
        Script script = twoMessages(Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250 STARTTLS"));
        Recording listener = new Recording();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay("127.0.0.1", server.port())
                    .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                    .eventListener(listener)
                    .build());
            for (int i = 0; i < 2; i++) {
                assertThat(client.send(Envelope.of("a@b.test", "x@c.test"), BODY).block(WAIT).outcome())
                        .isEqualTo(Outcome.DELIVERED);
            }
            client.disposeLater().block(WAIT);
            server.awaitScriptDone(WAIT);
            assertThat(listener.events).containsExactly("ready 127.0.0.1:" + server.port());
            assertThat(listener.tls).isEmpty();
        }
    }
}
