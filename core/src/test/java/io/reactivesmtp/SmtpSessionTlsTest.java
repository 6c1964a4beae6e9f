package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.TestPki;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** STARTTLS and implicit TLS against the scripted server: the happy path and every hostile case in TESTING.md. */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionTlsTest {

    @TempDir
    static Path pemDir;

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    private static TlsOptions trusting(TlsPolicy policy, TlsProvider provider) {
        return TlsOptions.builder().policy(policy).trustPem(TestPki.caPem(pemDir)).provider(provider).build();
    }

    private static SmtpSessionOptions options(TlsOptions tls) {
        return SmtpSessionOptions.builder().heloName("client.test").tls(tls).build();
    }

    /** The host name matters: the certificate is verified against "localhost". */
    private SmtpSession connect(ScriptedSmtpServer server, SmtpSessionOptions options) throws Throwable {
        return await(connector.connect("localhost", server.port(), options));
    }

    private static Script greetedWith(String... keywords) {
        String[] ehlo = new String[keywords.length + 1];
        ehlo[0] = "250-mx.test";
        for (int i = 0; i < keywords.length; i++) {
            ehlo[i + 1] = (i == keywords.length - 1 ? "250 " : "250-") + keywords[i];
        }
        return Script.create().send("220 mx.test ESMTP").expect("EHLO client.test").send(ehlo);
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void startTlsUpgradesForgetsEarlierCapabilitiesAndSaysEhloAgain(TlsProvider provider) throws Throwable {
        Script script = greetedWith("STARTTLS", "X-BEFORE-TLS")
                .expect("STARTTLS").send("220 2.0.0 ready to start TLS")
                .startTls(TestPki.serverContext(TestPki.good()))
                .expect("EHLO client.test").send("250-mx.test", "250-PIPELINING", "250-STARTTLS", "250 AUTH PLAIN")
                // STARTTLS advertised again after TLS is ignored: the next command is MAIL.
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(server, options(trusting(TlsPolicy.REQUIRED, provider)));
            Capabilities caps = session.capabilities();
            assertThat(caps.supports("X-BEFORE-TLS")).isFalse();
            assertThat(caps.pipelining()).isTrue();
            assertThat(session.tls()).isPresent();
            assertThat(session.tlsHandshakeTime()).hasValueSatisfying(t -> assertThat(t).isPositive().isLessThan(WAIT));
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of("Subject: t\r\n\r\nt\r\n")));
            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            TlsInfo tls = report.tls().orElseThrow();
            assertThat(tls.protocol()).startsWith("TLSv1.");
            assertThat(tls.cipherSuite()).isNotBlank();
            assertThat(tls.provider()).isEqualTo(provider.name());
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void requiredTlsWithoutStartTlsOfferedSendsNoMail() throws Throwable {
        Script script = greetedWith("PIPELINING", "AUTH PLAIN").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(server, SmtpSessionOptions.builder().heloName("client.test")
                    .credentials(Credentials.password("alice", "pw")).build()));
            assertThat(error).isInstanceOf(SmtpTlsException.class).hasMessageContaining("does not offer STARTTLS");
            assertThat(((SmtpException) error).isRetryable()).isFalse();
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).containsExactly("EHLO client.test", "QUIT");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"454 4.7.0 TLS not available", "502 5.5.1 not implemented"})
    void requiredTlsWithStartTlsRefusedSendsNoMail(String refusal) throws Throwable {
        Script script = greetedWith("STARTTLS").expect("STARTTLS").send(refusal).expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(server, options(trusting(TlsPolicy.REQUIRED, TlsProvider.AUTO))));
            assertThat(error).isInstanceOf(SmtpTlsException.class).hasMessageContaining("refused STARTTLS");
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void a421ToStartTlsEndsTheSession() throws Throwable {
        Script script = greetedWith("STARTTLS").expect("STARTTLS").send("421 4.3.2 going down").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(server, options(trusting(TlsPolicy.REQUIRED, TlsProvider.AUTO))));
            assertThat(error).isInstanceOf(SmtpException.class);
            server.awaitConnectionClosed(WAIT);
            assertThat(server.transcript()).doesNotContain("MAIL");
        }
    }

    @Test
    void requiredTlsWhenEhloIsRefusedIntoHeloSendsNoMail() throws Throwable {
        Script script = Script.create().send("220 old.test")
                .expect("EHLO client.test").send("500 5.5.1 what?")
                .expect("HELO client.test").send("250 old.test")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(server, options(trusting(TlsPolicy.REQUIRED, TlsProvider.AUTO))));
            assertThat(error).isInstanceOf(SmtpTlsException.class);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void opportunisticTlsGoesOnInPlaintextWhenNotOffered() throws Throwable {
        Script script = greetedWith("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(server, options(trusting(TlsPolicy.OPPORTUNISTIC, TlsProvider.AUTO)));
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of("Subject: t\r\n\r\nt\r\n")));
            assertThat(report.tls()).isEmpty();
            assertThat(session.tlsHandshakeTime()).isEmpty();
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void bytesBehindTheStartTls220FailTheSession() throws Throwable {
        // CVE-2021-22947 class: a man in the middle appends a reply that the client would read as if it came over TLS.
        Script script = greetedWith("STARTTLS").expect("STARTTLS")
                .sendRaw("220 2.0.0 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(server, options(trusting(TlsPolicy.REQUIRED, TlsProvider.AUTO))));
            assertThat(error).isInstanceOf(SmtpProtocolException.class).hasMessageContaining("response injection");
            server.awaitConnectionClosed(WAIT);
        }
    }

    enum BadCertificate {
        EXPIRED, WRONG_HOST, SELF_SIGNED, UNKNOWN_CA;

        TestPki.Credential credential() {
            switch (this) {
                case EXPIRED:
                    return TestPki.expired();
                case WRONG_HOST:
                    return TestPki.wrongHost();
                case SELF_SIGNED:
                    return TestPki.selfSigned();
                default:
                    return TestPki.good();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(BadCertificate.class)
    void aBadCertificateAbortsBeforeTheSecondEhlo(BadCertificate bad) throws Throwable {
        Script script = greetedWith("STARTTLS").expect("STARTTLS").send("220 ready")
                .startTls(TestPki.serverContext(bad.credential())).ignoreRest();
        // UNKNOWN_CA: a good certificate from our test CA, but the client trusts only the JDK's CAs.
        TlsOptions tls = bad == BadCertificate.UNKNOWN_CA
                ? TlsOptions.builder().policy(TlsPolicy.REQUIRED).build()
                : trusting(TlsPolicy.REQUIRED, TlsProvider.AUTO);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(server, options(tls)));
            assertThat(error).isInstanceOf(SmtpTlsException.class).hasMessageContaining("handshake");
            assertThat(((SmtpException) error).isRetryable()).isFalse();
            server.awaitConnectionClosed(WAIT);
            assertThat(server.linesReceived(0)).containsExactly("EHLO client.test", "STARTTLS");
        }
    }

    @Test
    void aServerThatNeverAnswersTheHandshakeTimesOut() throws Throwable {
        Script script = greetedWith("STARTTLS").expect("STARTTLS").send("220 ready").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(server, SmtpSessionOptions.builder().heloName("client.test")
                    .tls(trusting(TlsPolicy.REQUIRED, TlsProvider.AUTO))
                    .timeout(SmtpPhase.TLS_HANDSHAKE, java.time.Duration.ofMillis(300)).build()));
            assertThat(error).isInstanceOf(SmtpTimeoutException.class);
            assertThat(((SmtpTimeoutException) error).phase()).isEqualTo(SmtpPhase.TLS_HANDSHAKE);
            server.awaitConnectionClosed(WAIT);
        }
    }

    @Test
    void implicitTlsFromTheFirstByte() throws Throwable {
        Script script = Script.create().startTls(TestPki.serverContext(TestPki.good()))
                .send("220 mx.test ESMTP over TLS")
                .expect("EHLO client.test").send("250-mx.test", "250 PIPELINING")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(server, options(trusting(TlsPolicy.IMPLICIT, TlsProvider.AUTO)));
            assertThat(session.tls()).isPresent();
            assertThat(session.tlsHandshakeTime()).hasValueSatisfying(t -> assertThat(t).isPositive().isLessThan(WAIT));
            assertThat(session.capabilities().pipelining()).isTrue();
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void anImplicitTlsPortAnsweringInPlaintextFailsWithoutFallback() throws Throwable {
        Script script = Script.create().send("220 mx.test ESMTP plaintext").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connect(server, options(trusting(TlsPolicy.IMPLICIT, TlsProvider.AUTO))));
            assertThat(error).isInstanceOf(SmtpTlsException.class);
            server.awaitConnectionClosed(WAIT);
            assertThat(server.transcript()).doesNotContain("EHLO");
        }
    }

    @Test
    void authGoesOnlyOverTheEstablishedTls() throws Throwable {
        Script script = greetedWith("STARTTLS", "AUTH PLAIN LOGIN")
                .expect("STARTTLS").send("220 ready")
                .startTls(TestPki.serverContext(TestPki.good()))
                .expect("EHLO client.test").send("250-mx.test", "250 AUTH LOGIN")
                // Only what the server says after TLS counts: LOGIN, not PLAIN.
                .expect("AUTH LOGIN").send("334 VXNlcm5hbWU6")
                .expect("YWxpY2U=").send("334 UGFzc3dvcmQ6")
                .expect("cHc=").send("235 2.7.0 ok")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(server, SmtpSessionOptions.builder().heloName("client.test")
                    .tls(trusting(TlsPolicy.REQUIRED, TlsProvider.AUTO)).credentials(Credentials.password("alice", "pw")).build());
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }
}
