package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.connect;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A send whose caller gives up: before DATA the session resets and stays usable; after, the connection goes. */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionCancelTest {

    private static final String BODY = "Subject: hi\r\n\r\nHello\r\n";
    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test", "y@c.test");

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    /** Waits (bounded) until the server has received {@code line} on the first connection. */
    private static void awaitLine(ScriptedSmtpServer server, String line) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!server.linesReceived(0).contains(line)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the server never received " + line + ":\n" + server.transcript());
            }
            Thread.sleep(10);
        }
    }

    /** Either way of cancelling a future tells the session: cancel, or completing it with a CancellationException. */
    @ParameterizedTest
    @ValueSource(strings = {"cancel", "completeExceptionally"})
    void cancellingBeforeDataResetsAndTheSessionCarriesTheNextMessage(String how) throws Throwable {
        Script script = greeted("8BITMIME")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                // The client cancels while this RCPT awaits its reply; the reply still comes, then RSET.
                .expect("RCPT TO:<y@c.test>").delay(Duration.ofSeconds(1)).send("250 ok")
                .expect("RSET").send("250 2.0.0 reset")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            CompletableFuture<Void> handedBack = new CompletableFuture<>();
            CompletableFuture<SendReport> first = session.send(ENVELOPE, MessageContent.of(BODY),
                    () -> handedBack.complete(null));
            awaitLine(server, "RCPT TO:<y@c.test>");
            if (how.equals("cancel")) {
                assertThat(first.cancel(false)).isTrue();
            } else {
                assertThat(first.completeExceptionally(new CancellationException("given up"))).isTrue();
            }
            assertThat(first.cancel(false)).isTrue(); // a second cancel is no second reset
            await(handedBack);
            assertThat(session.isReusable()).isTrue();
            SendReport second = await(session.send(ENVELOPE, MessageContent.of(BODY)));
            assertThat(second.outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(server.dataCount()).isEqualTo(1);
            assertThat(server.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void cancellingBeforeTheSendStartedWritesNothing() throws Throwable {
        Script script = greeted().expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            CompletableFuture<Void> handedBack = new CompletableFuture<>();
            // The event loop is held up (bounded) while the send is queued to it and cancelled.
            CountDownLatch cancelled = new CountDownLatch(1);
            session.channel().eventLoop().execute(() -> {
                try {
                    cancelled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<SendReport> send = session.send(ENVELOPE, MessageContent.of(BODY),
                    () -> handedBack.complete(null));
            assertThat(send.cancel(false)).isTrue();
            cancelled.countDown();
            await(handedBack);
            assertThat(session.isReusable()).isTrue();
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void cancellingWhileTheContentStreamsClosesTheConnectionWithoutTheFinalDot() throws Throwable {
        Script script = greeted()
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("RCPT TO:<y@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            CompletableFuture<Void> handedBack = new CompletableFuture<>();
            CompletableFuture<SendReport> send = session.send(ENVELOPE, MessageContent.of(stalledAfterOneChunk()),
                    () -> handedBack.complete(null));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!server.transcript().contains("Subject: stalled")) {
                assertThat(System.nanoTime() - deadline).as("content began").isNegative();
                Thread.sleep(10);
            }
            send.cancel(false);
            await(session.closeFuture());
            await(handedBack);
            assertThat(session.isReusable()).isFalse();
            server.awaitConnectionClosed(WAIT);
            assertThat(server.dataCount()).isZero();
            assertThat(server.transcript()).doesNotContain("\\r\\n.\\r\\n").doesNotContain("RSET");
        }
    }

    private static Flow.Publisher<ByteBuf> stalledAfterOneChunk() {
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            int requests;

            @Override
            public void request(long n) {
                // Two chunks, then silence: the first leaves when the second arrives (the last one is held back).
                if (++requests == 1) {
                    subscriber.onNext(Unpooled.copiedBuffer("Subject: stalled\r\n\r\n", StandardCharsets.US_ASCII));
                } else if (requests == 2) {
                    subscriber.onNext(Unpooled.copiedBuffer("more\r\n", StandardCharsets.US_ASCII));
                }
            }

            @Override
            public void cancel() {
            }
        });
    }
}
