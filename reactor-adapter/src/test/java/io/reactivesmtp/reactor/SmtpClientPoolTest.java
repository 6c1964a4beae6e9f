package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/** Pooling: reuse, limits, eviction, idle close, dispose; sendAll's backpressure and results. */
class SmtpClientPoolTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");

    static SmtpClientOptions.Builder options(int port) {
        return SmtpClientOptions.builder()
                .relay("127.0.0.1", port)
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build());
    }

    static Envelope envelope(int i) {
        return Envelope.of("a@b.test", "user" + i + "@c.test");
    }

    @Test
    void messagesReuseOneConnectionAndTheNextMailGoesStraightOut() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            for (int i = 0; i < 20; i++) {
                assertThat(client.send(envelope(i), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            }
            assertThat(server.connections.get()).isEqualTo(1);
            assertThat(server.messages.get()).isEqualTo(20);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void sendAllPipelinesTheNextMessageBehindTheEndOfData() {
        // A slow final reply: a client that waited for it before the next MAIL would never be caught behind it.
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().dataDelay(Duration.ofMillis(5)).start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(1).build()).build());
            List<MessageResult> results = client.sendAll(Flux.range(0, 20)
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().block(WAIT);
            assertThat(results).hasSize(20).allMatch(r -> r.outcome() == MessageResult.Outcome.DELIVERED);
            assertThat(server.connections.get()).isEqualTo(1);
            // Every message after the first can follow its predecessor's end of data.
            assertThat(server.mailsBehindEndOfData.get()).isGreaterThanOrEqualTo(15);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void sendAllWithoutAPerDestinationBoundLosesNoSession() {
        // maxInFlightPerDestination >= maxInFlight: sendAll takes no per-destination permit, so its flatMap's
        // second request(1) after each result reaches the pool's acquire. The pool's borrower must not take it as
        // a second acquisition: one that did was handed the next released session and never gave it back, and
        // after two messages per connection every send waited (5 of 20 results, then nothing).
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(2).build())
                    .maxInFlight(4).maxInFlightPerDestination(4).build());
            List<MessageResult> results = client.sendAll(Flux.range(0, 40)
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().block(WAIT);
            assertThat(results).hasSize(40).allMatch(r -> r.outcome() == MessageResult.Outcome.DELIVERED);
            assertThat(server.messages.get()).isEqualTo(40);
            assertThat(server.connections.get()).isEqualTo(2);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void aSendThatFindsNoFreeConnectionWithinThePendingAcquireTimeoutFails() {
        CompletableFuture<Void> release = new CompletableFuture<>();
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder()
                .holdFinalReply(release, Duration.ofSeconds(5)).start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(1)
                            .pendingAcquireTimeout(Duration.ofMillis(300)).build()).build());
            // The first message holds the only connection until its final reply; the second is pipelined behind
            // it and waits in the server; the third finds no connection.
            Mono<SendReport> first = client.send(envelope(1), BODY).cache();
            first.subscribe(r -> { }, e -> { });
            LoopbackSmtpServer.await(() -> server.messages.get() == 0 && server.peakActive.get() == 1, WAIT, "first in");
            Mono<SendReport> second = client.send(envelope(2), BODY).cache();
            second.subscribe(r -> { }, e -> { });
            Throwable third = catchThrowable(() -> client.send(envelope(3), BODY).block(WAIT));
            assertThat(third).isInstanceOf(SmtpConnectionException.class)
                    .hasMessageContaining("pendingAcquireTimeout");
            release.complete(null);
            assertThat(first.block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(second.block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void concurrentMessagesUseAtMostTheDestinationsConnections() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().dataDelay(Duration.ofMillis(20)).start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(3).build()).build());
            List<SendReport> reports = Flux.range(0, 20).flatMap(i -> client.send(envelope(i), BODY))
                    .collectList().block(WAIT);
            assertThat(reports).hasSize(20).allMatch(r -> r.outcome() == Outcome.DELIVERED);
            // All 20 acquires come before the first connection is ready: the pool opens exactly its bound.
            assertThat(server.connections.get()).isEqualTo(3);
            assertThat(server.peakActive.get()).isLessThanOrEqualTo(3);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void maxMessagesPerConnectionOpensNewConnectionsAndQuitsTheOldOnes() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxMessagesPerConnection(3).build()).build());
            for (int i = 0; i < 7; i++) {
                assertThat(client.send(envelope(i), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            }
            assertThat(server.connections.get()).isEqualTo(3);
            LoopbackSmtpServer.await(() -> server.quits.get() == 2, WAIT, "QUIT on the two full connections");
            client.disposeLater().block(WAIT);
            assertThat(server.quits.get()).isEqualTo(3);
        }
    }

    @Test
    void aSessionRetiredAtItsEndOfDataWaitsForASlowFinalReplyLongerThanTheQuitGrace() {
        // The pool retires the session when its last message's end of data is written (max one message per
        // connection) and QUITs it behind that message. The server takes longer than the QUIT grace to answer the
        // final dot, as a content filter may: a client that closed the connection at the grace lost the verdict
        // of a message the server accepted (an unknown outcome).
        Duration slow = io.reactivesmtp.reactor.internal.SessionPools.QUIT_GRACE.plusSeconds(2);
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().dataDelay(slow).start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxMessagesPerConnection(1).build()).build());
            SendReport report = client.send(envelope(0), BODY).block(slow.plus(WAIT));
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            LoopbackSmtpServer.await(() -> server.quits.get() == 1, WAIT, "QUIT after the final reply");
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void aConnectionThatSaw421IsNeverReused() {
        // The server answers 421 but leaves the connection open and records what still arrives on it: only the
        // client's own discard keeps the next message off it.
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().keepOpenAfter421().start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            SendReport first = client.send(Envelope.of("a@b.test", "tempfail421@c.test"), BODY).block(WAIT);
            assertThat(first.outcome()).isEqualTo(Outcome.REJECTED);
            assertThat(first.recipients().get(0).status()).isEqualTo(RecipientResult.Status.TRANSIENT_FAILURE);
            assertThat(first.recipients().get(0).code()).isEqualTo(421);
            // On the old connection the server answers nothing more: a client that reused it would wait forever.
            SendReport second = client.send(envelope(1), BODY).timeout(WAIT, Mono.defer(() -> Mono.error(
                    new AssertionError("no reply to the next message; lines on the connection after its 421: "
                            + server.linesAfter421(1))))).block();
            assertThat(second.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(server.connections.get()).isEqualTo(2);
            assertThat(server.messages.get()).isEqualTo(1);
            LoopbackSmtpServer.await(() -> server.openConnections() == 1, WAIT,
                    "the client closes the connection that saw 421 by itself");
            client.disposeLater().block(WAIT);
            // After the 421 only the DATA that was pipelined with MAIL and RCPT before the 421 could be read: no
            // RSET, MAIL or RCPT, not even at dispose. (Whether a QUIT may follow is aFourTwentyOneIsNotAnsweredWithQuit.)
            assertThat(server.linesAfter421(1)).filteredOn(line -> !line.equals("QUIT")).containsExactly("DATA");
            assertThat(server.linesAfter421(2)).isEmpty();
            assertThat(server.quits.get()).isEqualTo(1);
        }
    }

    @Test
    void aFourTwentyOneIsNotAnsweredWithQuit() {
        // The server said it is closing the channel: the client drops the connection, it does not talk on.
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().keepOpenAfter421().start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            SendReport report = client.send(Envelope.of("a@b.test", "tempfail421@c.test"), BODY).block(WAIT);
            assertThat(report.recipients().get(0).code()).isEqualTo(421);
            LoopbackSmtpServer.await(() -> server.openConnections() == 0, WAIT, "the client closes the connection");
            client.disposeLater().block(WAIT);
            assertThat(server.linesAfter421(1)).containsExactly("DATA");
        }
    }

    @Test
    void aSessionOlderThanMaxLifetimeIsNotReusedAndIsClosedWithQuit() throws InterruptedException {
        // Long enough for two sends on a loaded machine; the idle time is far longer, so only the age can end it.
        Duration lifetime = Duration.ofSeconds(3);
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).pool(PoolOptions.builder()
                    .maxLifetime(lifetime).maxIdleTime(Duration.ofMinutes(5)).build()).build());
            long opened = System.nanoTime();
            assertThat(client.send(envelope(0), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(client.send(envelope(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(server.connections.get()).as("younger than maxLifetime: reused").isEqualTo(1);

            Thread.sleep(Math.max(0, (opened + lifetime.toNanos() - System.nanoTime()) / 1_000_000) + 50);
            assertThat(client.send(envelope(2), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(server.connections.get()).as("older than maxLifetime: a new connection").isEqualTo(2);
            LoopbackSmtpServer.await(() -> server.quits.get() == 1, WAIT, "QUIT on the connection too old to reuse");
            assertThat(server.messages.get()).isEqualTo(3);
            client.disposeLater().block(WAIT);
            assertThat(server.quits.get()).isEqualTo(2);
        }
    }

    @Test
    void aSessionTheServerClosedWhileIdleIsReplacedWithoutAnError() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            assertThat(client.send(envelope(0), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            server.closeIdleConnections();
            LoopbackSmtpServer.await(() -> client.openConnections() == 0, WAIT, "client sees the close");
            assertThat(client.send(envelope(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(server.connections.get()).isEqualTo(2);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void aCloseThatRacesTheNextMailIsRetriedOnceOnAFreshSession() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().dropSecondMailOnFirstConnection().start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            assertThat(client.send(envelope(0), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(client.send(envelope(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(server.connections.get()).isEqualTo(2);
            assertThat(server.messages.get()).isEqualTo(2);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void idleSessionsAreEvictedWithQuit() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxIdleTime(Duration.ofMillis(200)).build()).build());
            assertThat(client.send(envelope(0), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            LoopbackSmtpServer.await(() -> server.quits.get() == 1 && server.openConnections() == 0, WAIT,
                    "QUIT after the idle time");
            assertThat(client.send(envelope(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void disposeQuitsIdleSessionsAndLeavesSharedLoopsRunning() {
        LoopResources shared = LoopResources.create("shared-test", 1, true);
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().dataDelay(Duration.ofMillis(50)).start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).loopResources(shared).build());
            Flux.range(0, 3).flatMap(i -> client.send(envelope(i), BODY)).blockLast(WAIT);
            assertThat(server.connections.get()).isEqualTo(3);
            client.disposeLater().block(WAIT);
            assertThat(client.isDisposed()).isTrue();
            assertThat(server.quits.get()).isEqualTo(3);
            LoopbackSmtpServer.await(() -> server.openConnections() == 0, WAIT, "connections closed");
            assertThat(shared.isDisposed()).isFalse();
            assertThat(catchThrowable(() -> client.send(envelope(9), BODY).block(WAIT)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("disposed");
        } finally {
            shared.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(WAIT);
        }
    }

    @Test
    void sendAllKeepsAtMostMaxInFlightRequestedAndAtTheServer() {
        int total = 60;
        int maxInFlight = 4;
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().dataDelay(Duration.ofMillis(10)).start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).maxInFlight(maxInFlight).build());
            AtomicInteger requested = new AtomicInteger();
            AtomicInteger completed = new AtomicInteger();
            AtomicInteger worstGap = new AtomicInteger();
            Flux<OutgoingMessage> source = Flux.range(0, total)
                    .doOnRequest(n -> requested.addAndGet((int) Math.min(n, total)))
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY));
            List<MessageResult> results = client.sendAll(source)
                    .doOnNext(r -> worstGap.accumulateAndGet(requested.get() - completed.incrementAndGet() + 1,
                            Math::max))
                    .collectList().block(WAIT);
            assertThat(results).hasSize(total).allMatch(r -> r.outcome() == MessageResult.Outcome.DELIVERED);
            assertThat(worstGap.get()).as("messages requested but not completed").isLessThanOrEqualTo(maxInFlight);
            assertThat(server.peakActive.get()).isLessThanOrEqualTo(maxInFlight);
            assertThat(server.connections.get()).isLessThanOrEqualTo(maxInFlight);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void sendAllBoundsInFlightPerDestination() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().dataDelay(Duration.ofMillis(10)).start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .maxInFlight(50).maxInFlightPerDestination(2).build());
            List<MessageResult> results = client.sendAll(Flux.range(0, 30)
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().block(WAIT);
            assertThat(results).hasSize(30);
            assertThat(server.peakActive.get()).isLessThanOrEqualTo(2);
            assertThat(server.connections.get()).isLessThanOrEqualTo(2);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void sendAllGivesOneResultPerMessageWithItsIdAndFailuresDoNotEndTheStream() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            Flux<OutgoingMessage> messages = Flux.range(0, 12).map(i -> OutgoingMessage.of("id-" + i,
                    Envelope.of("a@b.test", i % 4 == 1 ? "reject@c.test" : i % 4 == 2 ? "tempfail421@c.test" : "ok@c.test"),
                    BODY));
            List<MessageResult> results = client.sendAll(messages).collectList().block(WAIT);
            assertThat(results).hasSize(12);
            Set<Object> ids = results.stream().map(MessageResult::id).collect(Collectors.toSet());
            assertThat(ids).hasSize(12).contains("id-0", "id-11");
            for (MessageResult r : results) {
                int i = Integer.parseInt(((String) r.id()).substring(3));
                // A 421 to the only recipient is a verdict (transient), not an error: no recipient accepted.
                MessageResult.Outcome expected = i % 4 == 0 || i % 4 == 3 ? MessageResult.Outcome.DELIVERED
                        : MessageResult.Outcome.REJECTED;
                assertThat(r.outcome()).as(r.toString()).isEqualTo(expected);
                int code = r.report().orElseThrow().recipients().get(0).code();
                assertThat(code).as(r.toString()).isEqualTo(i % 4 == 1 ? 550 : i % 4 == 2 ? 421 : 250);
                assertThat(r.message().envelope().recipients()).hasSize(1);
            }
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void aListenerThatThrowsDoesNotBreakSending() {
        AtomicInteger calls = new AtomicInteger();
        SmtpEventListener bad = new SmtpEventListener() {
            @Override
            public void connectStart(String destination) {
                calls.incrementAndGet();
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void transactionEnd(String destination, SendReport report) {
                calls.incrementAndGet();
                throw new IllegalStateException("listener bug");
            }
        };
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).eventListener(bad).build());
            assertThat(client.send(envelope(0), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(calls.get()).isEqualTo(2);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void optionsValidateAtBuild() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PoolOptions.builder().maxConnections(0).build())
                .hasMessageContaining("maxConnections");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PoolOptions.builder()
                .maxConnectionsPerDestination(20).maxConnections(10).build()).hasMessageContaining("exceeds");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SmtpClientOptions.builder().relay("h", 25)
                .maxInFlight(0).build()).hasMessageContaining("maxInFlight");
        assertThat(SmtpClientOptions.builder().relay("h", 25).build().maxInFlightPerDestination())
                .isEqualTo(2 * PoolOptions.DEFAULT_MAX_CONNECTIONS_PER_DESTINATION);
    }
}
