package io.reactivesmtp.reactor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.netty.resources.LoopResources;

/**
 * A send's pacing place on {@code LeanSend}'s path: how it is given back, and the wait for one at a site without
 * room (how long, what the send says when none came, a cancel while waiting).
 */
class PacingPlaceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test");
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");
    private static final int MESSAGES = 3;

    /** What a test does with a Sender on its own pools and event loop, and the pacing site of the server. */
    private interface WithSender {
        void run(Sender sender, AdaptivePacing pacing, String site) throws Exception;
    }

    /** Runs {@code test} against the server with a Sender whose options {@code configure} adds to, then disposes. */
    private static void withSender(ScriptedSmtpServer server, Consumer<SmtpClientOptions.Builder> configure,
                                   WithSender test) throws Exception {
        SmtpClientOptions.Builder builder = SmtpClientOptions.builder()
                .relay("127.0.0.1", server.port())
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build());
        configure.accept(builder);
        SmtpClientOptions options = builder.build();
        LoopResources loops = LoopResources.create("place-test", 1, true);
        SafeListener listener = new SafeListener(options.eventListener());
        SessionPools pools = new SessionPools(options, loops, listener, null);
        try {
            Sender sender = new Sender(options, pools, listener);
            test.run(sender, sender.pacing(), sender.pacing().site("127.0.0.1", server.port()));
        } finally {
            pools.disposeLater().block(WAIT);
            loops.disposeLater(Duration.ZERO, WAIT).block(WAIT);
        }
    }

    /** The greeting and EHLO of a connection. */
    private static Script greeting() {
        return Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250 PIPELINING");
    }

    /** One transaction of ENVELOPE, its 354 after {@code before354}. */
    private static Script transaction(Script script, Duration before354) {
        script.expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 2.1.5 ok")
                .expect("DATA");
        if (!before354.isZero()) {
            script.delay(before354);
        }
        return script.send("354 go").expectData().send("250 2.0.0 queued");
    }

    /**
     * A transaction on a session that takes no next message (the last one its connection may carry, or a session
     * not to be reused) gives its place back before its report goes on, as a session going on gives it back at its
     * hand-off, before the final reply. Whoever the report frees (the caller's next message, sendAll's next slot)
     * then finds the place free, instead of waiting in pacing's queue for a release that came right after.
     */
    @Test
    void aReportArrivesWithItsPacingPlaceAlreadyGivenBack() throws Exception {
        // One message per connection: every session retires at its final reply.
        Script script = transaction(greeting(), Duration.ZERO).expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            withSender(server, b -> b.pool(PoolOptions.builder().maxMessagesPerConnection(1).build()),
                    (sender, pacing, site) -> {
                        List<Integer> held = new ArrayList<>();
                        for (int i = 0; i < MESSAGES; i++) { // the first on a site pacing does not know yet
                            SendReport report = sender.send(ENVELOPE, BODY, null)
                                    .doOnNext(r -> held.add(pacing.inUse(site)))
                                    .block(WAIT);
                            assertThat(report.outcome()).as(server.transcript())
                                    .isEqualTo(SendReport.Outcome.DELIVERED);
                        }
                        assertThat(held).as("places the site held as each report arrived").containsOnly(0)
                                .hasSize(MESSAGES);
                        assertThat(pacing.inUse(site)).isZero();
                    });
        }
    }

    /**
     * At a site whose one place is held (pacing's limit 1, the first transaction waiting for its 354), a send waits
     * for a place: past the pool's pendingAcquireTimeout it fails, transient, naming the site and the limit; a send
     * cancelled while it waits takes no place; the next send after the first one's report goes on the same
     * connection.
     */
    @Test
    void aSendWaitsForAPlaceBoundedAndACancelledWaitTakesNone() throws Exception {
        Script script = transaction(transaction(greeting(), Duration.ofSeconds(1)), Duration.ZERO)
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            withSender(server, b -> b.pool(PoolOptions.builder().pendingAcquireTimeout(Duration.ofMillis(200)).build())
                    .pacing(Pacing.builder().initial(1).build()), (sender, pacing, site) -> {
                CompletableFuture<SendReport> first = sender.send(ENVELOPE, BODY, null).toFuture();
                for (int i = 0; i < 100 && pacing.inUse(site) == 0; i++) { // at most 1 s
                    Thread.sleep(10);
                }
                assertThat(pacing.inUse(site)).as("the first send's place").isEqualTo(1);

                Throwable waited = catchThrowable(() -> sender.send(ENVELOPE, BODY, null).block(WAIT));
                assertThat(waited).isInstanceOf(SmtpConnectionException.class)
                        .hasMessageContaining("no place at " + site)
                        .hasMessageContaining("limit 1")
                        .hasMessageContaining("pendingAcquireTimeout");
                assertThat(((SmtpConnectionException) waited).isRetryable()).isTrue();

                Disposable cancelled = sender.send(ENVELOPE, BODY, null).subscribe();
                cancelled.dispose();

                assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS).outcome())
                        .as(server.transcript()).isEqualTo(SendReport.Outcome.DELIVERED);
                assertThat(sender.send(ENVELOPE, BODY, null).block(WAIT).outcome())
                        .as(server.transcript()).isEqualTo(SendReport.Outcome.DELIVERED);
                assertThat(pacing.inUse(site)).as("places held at the end").isZero();
                assertThat(server.connectionCount()).as("one connection for both messages").isEqualTo(1);
            });
        }
    }
}
