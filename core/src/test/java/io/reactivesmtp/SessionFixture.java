package io.reactivesmtp;

import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Shared pieces of the session tests: script openings, bounded waits. */
final class SessionFixture {

    static final Duration WAIT = Duration.ofSeconds(10);

    private SessionFixture() {
    }

    /** A greeting and an EHLO reply advertising {@code keywords}. */
    static Script greeted(String... keywords) {
        String[] ehlo = new String[keywords.length + 1];
        ehlo[0] = keywords.length == 0 ? "250 mx.test" : "250-mx.test";
        for (int i = 0; i < keywords.length; i++) {
            ehlo[i + 1] = (i == keywords.length - 1 ? "250 " : "250-") + keywords[i];
        }
        return Script.create()
                .send("220 mx.test ESMTP ready")
                .expectMatching("EHLO \\S+")
                .send(ehlo);
    }

    /** Waits (bounded) for a future and returns its value, or rethrows its failure unwrapped. */
    static <T> T await(CompletableFuture<T> future) throws Throwable {
        try {
            return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("no result within " + WAIT, e);
        }
    }

    static SmtpSession connect(SmtpConnector connector, ScriptedSmtpServer server, SmtpSessionOptions options)
            throws Throwable {
        return await(connector.connect("127.0.0.1", server.port(), options));
    }

    static SmtpSession connect(SmtpConnector connector, ScriptedSmtpServer server) throws Throwable {
        return connect(connector, server, SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build());
    }
}
