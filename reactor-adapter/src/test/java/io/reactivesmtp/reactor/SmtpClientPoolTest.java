package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
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
            assertThat(server.connections.get()).isBetween(1, 3);
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
    void aConnectionThatSaw421IsNeverReused() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            SendReport first = client.send(Envelope.of("a@b.test", "tempfail421@c.test"), BODY)
                    .onErrorResume(SmtpException.class, e -> Mono.justOrEmpty(e.partialReport()))
                    .block(WAIT);
            assertThat(first.recipients().get(0).isAccepted()).isFalse();
            assertThat(client.send(envelope(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(server.connections.get()).isEqualTo(2);
            client.disposeLater().block(WAIT);
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
            assertThat(client.send(envelope(9), BODY).onErrorResume(e -> Mono.empty()).block(WAIT)).isNull();
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
                MessageResult.Outcome expected = i % 4 == 1 ? MessageResult.Outcome.REJECTED
                        : i % 4 == 2 ? r.outcome() : MessageResult.Outcome.DELIVERED;
                assertThat(r.outcome()).as(r.toString()).isEqualTo(expected);
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
