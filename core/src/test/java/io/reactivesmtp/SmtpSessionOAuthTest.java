package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * OAuth 2.0 AUTH against the scripted server: a refused token is refreshed once and the AUTH retried on the same
 * connection; concurrent sessions share one token fetch; a fresh token refused too is a clear, final error.
 */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionOAuthTest {

    private static final String USER = "alice@example.com";
    /** Google's error challenge: base64 of a JSON status. */
    private static final String ERROR_CHALLENGE = "334 " + b64("{\"status\":\"401\",\"schemes\":\"bearer\"}");

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String xoauth2(String token) {
        return "AUTH XOAUTH2 " + b64("user=" + USER + "\u0001auth=Bearer " + token + "\u0001\u0001");
    }

    private static SmtpSessionOptions options(Credentials credentials) {
        return SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)
                .credentials(credentials).allowAuthWithoutTls(true).build();
    }

    /** A token endpoint that hands out tok-1, tok-2, ... and counts its calls; completes at once unless held. */
    private static final class TokenEndpoint {
        final AtomicInteger fetches = new AtomicInteger();
        final List<CompletableFuture<String>> held = new CopyOnWriteArrayList<>();
        volatile boolean hold;

        CompletionStage<String> fetch() {
            String token = "tok-" + fetches.incrementAndGet();
            CompletableFuture<String> f = new CompletableFuture<>();
            if (hold) {
                held.add(f);
                f = f.thenApply(ignored -> token);
            } else {
                f.complete(token);
            }
            return f;
        }
    }

    /** Counts the sessions that asked for a token. */
    private static final class CountingProvider implements TokenProvider {
        final TokenProvider delegate;
        final AtomicInteger requests = new AtomicInteger();
        final List<String> invalidated = new CopyOnWriteArrayList<>();

        CountingProvider(TokenProvider delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletionStage<String> token() {
            requests.incrementAndGet();
            return delegate.token();
        }

        @Override
        public void invalidate(String token) {
            invalidated.add(token);
            delegate.invalidate(token);
        }
    }

    @Test
    void a535WithAnErrorChallengeRefreshesTheTokenOnceAndRetriesOnTheSameConnection() throws Throwable {
        TokenEndpoint endpoint = new TokenEndpoint();
        CountingProvider tokens = new CountingProvider(TokenProvider.cached(endpoint::fetch));
        Script script = greeted("AUTH XOAUTH2")
                .expect(xoauth2("tok-1")).send(ERROR_CHALLENGE)
                .expect("").send("535 5.7.8 Username and Password not accepted")
                .expect(xoauth2("tok-2")).send("235 2.7.0 Accepted")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = await(connector.connect("127.0.0.1", server.port(), options(
                    Credentials.oauth2(USER, tokens))));
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(server.connectionCount()).isEqualTo(1);
        }
        assertThat(endpoint.fetches).hasValue(2);
        assertThat(tokens.invalidated).containsExactly("tok-1");
        // The fresh token is kept for the next session.
        assertThat(tokens.token().toCompletableFuture().get()).isEqualTo("tok-2");
        assertThat(endpoint.fetches).hasValue(2);
    }

    @Test
    void oauthBearerAnswersTheErrorChallengeWithCtrlAThenRetriesWithAFreshToken() throws Throwable {
        TokenEndpoint endpoint = new TokenEndpoint();
        Script script = greeted("AUTH PLAIN OAUTHBEARER")
                .expect("AUTH OAUTHBEARER " + b64("n,a=" + USER + ",\u0001auth=Bearer tok-1\u0001\u0001"))
                .send(ERROR_CHALLENGE)
                .expect(b64("\u0001")).send("535 5.7.8 invalid token")
                .expect("AUTH OAUTHBEARER " + b64("n,a=" + USER + ",\u0001auth=Bearer tok-2\u0001\u0001"))
                .send("235 2.7.0 Accepted")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = await(connector.connect("127.0.0.1", server.port(), options(
                    Credentials.oauth2(USER, TokenProvider.cached(endpoint::fetch)))));
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
        assertThat(endpoint.fetches).hasValue(2);
    }

    @Test
    void twoSessionsAuthenticatingAtOnceMakeOneTokenRequestAndOneRefresh() throws Throwable {
        TokenEndpoint endpoint = new TokenEndpoint();
        endpoint.hold = true;
        CountingProvider tokens = new CountingProvider(TokenProvider.cached(endpoint::fetch));
        // Both sessions are refused with the shared token, and both go on with the one refreshed token.
        Script script = greeted("AUTH XOAUTH2")
                .expect(xoauth2("tok-1")).send("535 5.7.8 token expired")
                .expect(xoauth2("tok-2")).send("235 2.7.0 Accepted")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Credentials credentials = Credentials.oauth2(USER, tokens);
            CompletableFuture<SmtpSession> first = connector.connect("127.0.0.1", server.port(), options(credentials));
            CompletableFuture<SmtpSession> second = connector.connect("127.0.0.1", server.port(), options(credentials));
            awaitCount(tokens.requests, 2);
            assertThat(endpoint.fetches).hasValue(1);
            endpoint.hold = false;
            endpoint.held.forEach(f -> f.complete("released"));
            await(await(first).close());
            await(await(second).close());
            server.awaitScriptDone(2, WAIT);
        }
        assertThat(endpoint.fetches).hasValue(2);
        assertThat(tokens.invalidated).containsExactly("tok-1", "tok-1");
    }

    @Test
    void aFreshTokenRefusedTooIsAClearNonRetryableErrorWithoutSecrets() throws Throwable {
        TokenEndpoint endpoint = new TokenEndpoint();
        CountingProvider tokens = new CountingProvider(TokenProvider.cached(endpoint::fetch));
        Script script = greeted("AUTH XOAUTH2")
                .expect(xoauth2("tok-1")).send("535 5.7.8 Username and Password not accepted")
                .expect(xoauth2("tok-2")).send("535 5.7.8 Username and Password not accepted")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> await(connector.connect("127.0.0.1", server.port(),
                    options(Credentials.oauth2(USER, tokens)))));
            server.awaitScriptDone(WAIT);
            assertThat(error).isInstanceOf(SmtpAuthenticationException.class)
                    .hasMessageContaining("XOAUTH2")
                    .hasMessageContaining("a freshly fetched token was refused too")
                    .hasMessageContaining("535");
            SmtpAuthenticationException e = (SmtpAuthenticationException) error;
            assertThat(e.isRetryable()).isFalse();
            assertThat(e.reply().orElseThrow().code()).isEqualTo(535);
            assertThat(e.toString()).doesNotContain("tok-1").doesNotContain("tok-2")
                    .doesNotContain(xoauth2("tok-1").substring(13));
            // No third AUTH on that connection: exactly two attempts reached the server.
            assertThat(server.linesReceived(0)).filteredOn(l -> l.startsWith("AUTH")).hasSize(2);
        }
        assertThat(endpoint.fetches).hasValue(2);
        // The refused fresh token is forgotten too: the next session fetches again.
        assertThat(tokens.invalidated).containsExactly("tok-1", "tok-2");
    }

    @Test
    void aSupplierIsAskedOnceMoreAfterA535() throws Throwable {
        AtomicInteger calls = new AtomicInteger();
        Script script = greeted("AUTH XOAUTH2")
                .expect(xoauth2("tok-1")).send("535 5.7.8 no")
                .expect(xoauth2("tok-2")).send("235 2.7.0 ok")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Credentials supplied = Credentials.oauth2(USER,
                    () -> CompletableFuture.completedFuture("tok-" + calls.incrementAndGet()));
            await(await(connector.connect("127.0.0.1", server.port(), options(supplied))).close());
            server.awaitScriptDone(WAIT);
        }
        assertThat(calls).hasValue(2);
    }

    @Test
    void aTemporaryRefusalIsNotATokenProblem() throws Throwable {
        TokenEndpoint endpoint = new TokenEndpoint();
        Script script = greeted("AUTH XOAUTH2")
                .expect(xoauth2("tok-1")).send("454 4.7.0 Temporary authentication failure")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> await(connector.connect("127.0.0.1", server.port(),
                    options(Credentials.oauth2(USER, TokenProvider.cached(endpoint::fetch))))));
            server.awaitScriptDone(WAIT);
            assertThat(error).isInstanceOf(SmtpAuthenticationException.class);
            assertThat(((SmtpException) error).isRetryable()).isTrue();
        }
        assertThat(endpoint.fetches).hasValue(1);
    }

    @Test
    void aFailingTokenEndpointFailsTheSessionBeforeAnyAuthLine() throws Throwable {
        Script script = greeted("AUTH XOAUTH2").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            TokenProvider failing = TokenProvider.cached(
                    () -> CompletableFuture.failedFuture(new IllegalStateException("token endpoint down")));
            Throwable error = catchThrowable(() -> await(connector.connect("127.0.0.1", server.port(),
                    options(Credentials.oauth2(USER, failing)))));
            server.awaitScriptDone(WAIT);
            assertThat(error).isInstanceOf(SmtpAuthenticationException.class).hasMessageContaining("token endpoint down");
            assertThat(server.linesReceived(0)).noneMatch(l -> l.startsWith("AUTH"));
        }
    }

    private static void awaitCount(AtomicInteger counter, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (counter.get() < expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + counter.get() + " of " + expected + " token requests within " + WAIT);
            }
            Thread.sleep(10);
        }
    }
}
