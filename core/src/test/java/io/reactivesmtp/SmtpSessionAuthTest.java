package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.connect;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** AUTH (RFC 4954) against the scripted server: each mechanism, refusals, hostile challenges, plaintext policy. */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionAuthTest {

    private static final String USER = "alice";
    private static final String PASSWORD = "s3cret-Pa55";
    private static final Credentials ALICE = Credentials.password(USER, PASSWORD);

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Plaintext AUTH explicitly allowed, so these tests exercise the SASL dialogue alone. */
    private static SmtpSessionOptions plaintextAuth(Credentials credentials) {
        return SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)
                .credentials(credentials).allowAuthWithoutTls(true).build();
    }

    private SmtpSession connectWith(ScriptedSmtpServer server, SmtpSessionOptions options) throws Throwable {
        return await(connector.connect("127.0.0.1", server.port(), options));
    }

    @Test
    void plainIsChosenOverLoginAndSentAsAnInitialResponse() throws Throwable {
        Script script = greeted("PIPELINING", "AUTH LOGIN PLAIN")
                .expect("AUTH PLAIN " + b64("\0" + USER + "\0" + PASSWORD)).send("235 2.7.0 authenticated")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connectWith(server, plaintextAuth(ALICE));
            assertThat(await(session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of("Subject: x\r\n\r\nx\r\n")))
                    .outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void loginAnswersBothChallenges() throws Throwable {
        Script script = greeted("AUTH LOGIN")
                .expect("AUTH LOGIN").send("334 " + b64("Username:"))
                .expect(b64(USER)).send("334 " + b64("Password:"))
                .expect(b64(PASSWORD)).send("235 2.7.0 ok")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            await(connectWith(server, plaintextAuth(ALICE)).close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void cramMd5IsPreferredWhenOfferedAndAnswersTheRfc2195Example() throws Throwable {
        Script script = greeted("AUTH PLAIN LOGIN CRAM-MD5")
                .expect("AUTH CRAM-MD5").send("334 " + b64("<1896.697170952@postoffice.reston.mci.net>"))
                .expect("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw").send("235 ok")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            await(connectWith(server, plaintextAuth(Credentials.password("tim", "tanstaaftanstaaf"))).close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void xoauth2FetchesTheTokenWhenItAuthenticates() throws Throwable {
        String token = "ya29.token-value";
        Script script = greeted("AUTH PLAIN XOAUTH2")
                .expect("AUTH XOAUTH2 " + b64("user=" + USER + "\u0001auth=Bearer " + token + "\u0001\u0001"))
                .send("235 2.7.0 accepted")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Credentials oauth = Credentials.oauth2(USER, () -> CompletableFuture.supplyAsync(() -> token));
            await(connectWith(server, plaintextAuth(oauth)).close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void credentialsAreNeverSentWithoutTlsUnlessAllowed() throws Throwable {
        Script script = greeted("AUTH PLAIN LOGIN").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connectWith(server, SmtpSessionOptions.builder()
                    .heloName("client.test").tls(TlsPolicy.OPPORTUNISTIC).credentials(ALICE).build()));
            assertThat(error).isInstanceOf(SmtpPolicyException.class).hasMessageContaining("without TLS");
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).noneMatch(line -> line.startsWith("AUTH"));
        }
    }

    @Test
    void a535IsOneClearNonRetryableErrorAndNoSecondAttempt() throws Throwable {
        Script script = greeted("AUTH PLAIN")
                .expectMatching("AUTH PLAIN \\S+").send("535 5.7.8 Authentication credentials invalid")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connectWith(server, plaintextAuth(ALICE)));
            assertThat(error).isInstanceOf(SmtpAuthenticationException.class);
            SmtpAuthenticationException e = (SmtpAuthenticationException) error;
            assertThat(e.isRetryable()).isFalse();
            assertThat(e.reply().orElseThrow().code()).isEqualTo(535);
            assertThat(e.getMessage()).contains("PLAIN").doesNotContain(PASSWORD).doesNotContain(b64("\0" + USER + "\0" + PASSWORD));
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void a454IsRetryable() throws Throwable {
        Script script = greeted("AUTH PLAIN")
                .expectMatching("AUTH PLAIN \\S+").send("454 4.7.0 Temporary authentication failure")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connectWith(server, plaintextAuth(ALICE)));
            assertThat(error).isInstanceOf(SmtpAuthenticationException.class);
            assertThat(((SmtpException) error).isRetryable()).isTrue();
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void invalidBase64InAChallengeIsCancelledWithAStar() throws Throwable {
        Script script = greeted("AUTH LOGIN")
                .expect("AUTH LOGIN").send("334 !!!not base64!!!")
                .expect("*").send("501 5.0.0 AUTH aborted")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connectWith(server, plaintextAuth(ALICE)));
            assertThat(error).isInstanceOf(SmtpAuthenticationException.class);
            assertThat(((SmtpException) error).isRetryable()).isFalse();
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void endlessChallengesAreCutOff() throws Throwable {
        Script script = greeted("AUTH PLAIN")
                .expectMatching("AUTH PLAIN \\S+")
                .repeat(100, s -> s.send("334 ").expectMatching("\\S*"))
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connectWith(server, plaintextAuth(ALICE)));
            assertThat(error).isInstanceOf(SmtpAuthenticationException.class);
            assertThat(server.transcript()).contains("C: *");
            assertThat(server.linesReceived(0).size()).isLessThan(AuthMechanismRounds.LIMIT + 5);
        }
    }

    @Test
    void noMechanismInCommonFailsBeforeAnyAuthLine() throws Throwable {
        Script script = greeted("AUTH GSSAPI NTLM").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> connectWith(server, plaintextAuth(ALICE)));
            assertThat(error).isInstanceOf(SmtpPolicyException.class).hasMessageContaining("GSSAPI");
            server.awaitScriptDone(WAIT);
        }
    }

    /** The round limit, read once so the test does not depend on the protocol package's internals. */
    private static final class AuthMechanismRounds {
        static final int LIMIT = io.reactivesmtp.protocol.AuthMechanism.MAX_ROUNDS;
    }
}
