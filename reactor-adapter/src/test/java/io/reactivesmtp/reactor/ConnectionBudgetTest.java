package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The connection budget over all destinations (issue 22): MX routing to domains d1.test ... dN.test, whose MX is
 * 127.0.0.i, where a {@link LoopbackSmtpServer} listens (all on one port, counting into one gauge: the connections
 * open at once as the servers see them).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConnectionBudgetTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");
    /** Long enough never to expire during a test: only the budget closes connections. */
    private static final Duration NEVER = Duration.ofMinutes(5);

    private final EventLoopGroup serverLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final LoopbackSmtpServer.Gauge gauge = new LoopbackSmtpServer.Gauge();
    /** servers.get(i - 1) is the MX of d{i}.test, on 127.0.0.i. */
    private final List<LoopbackSmtpServer> servers = new ArrayList<>();
    private final List<SmtpClient> clients = new ArrayList<>();
    private int port;

    @AfterEach
    void tearDown() {
        clients.forEach(c -> c.disposeLater().block(WAIT));
        servers.forEach(LoopbackSmtpServer::close);
        serverLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Starts the MX servers of d1.test ... d{n}.test, each configured by {@code configure}. */
    private void startServers(int n, java.util.function.UnaryOperator<LoopbackSmtpServer.Builder> configure) {
        startServers(n, (i, b) -> configure.apply(b));
    }

    /** Starts the MX servers of d1.test ... d{n}.test, the i-th configured by {@code configure(i, builder)}. */
    private void startServers(int n, java.util.function.BiFunction<Integer, LoopbackSmtpServer.Builder,
            LoopbackSmtpServer.Builder> configure) {
        for (int i = 1; i <= n; i++) {
            LoopbackSmtpServer.Builder b = LoopbackSmtpServer.builder().group(serverLoops).gauge(gauge)
                    .bind("127.0.0." + i, port);
            LoopbackSmtpServer server = configure.apply(i, b).start();
            if (i == 1) {
                port = server.port();
            }
            servers.add(server);
        }
    }

    private LoopbackSmtpServer server(int domain) {
        return servers.get(domain - 1);
    }

    private SmtpClient client(PoolOptions.Builder pool, int maxInFlight) {
        // d{i}.test -> MX 127.0.0.i (no server there for i beyond the servers started: connection refused).
        MxResolver resolver = domain -> Mono.just(List.of(MxHost.of(
                "127.0.0." + Integer.parseInt(domain.substring(1, domain.indexOf('.'))), 10)));
        SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                .routing(Routing.mx(resolver))
                .mxPort(port)
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                .pool(pool.build())
                .maxInFlight(maxInFlight)
                .build());
        clients.add(client);
        return client;
    }

    private static Envelope to(int domain) {
        return Envelope.of("sender@client.test", "user@d" + domain + ".test");
    }

    private static int sum(java.util.function.ToIntFunction<LoopbackSmtpServer> f, List<LoopbackSmtpServer> all) {
        return all.stream().mapToInt(f).sum();
    }

    @Test
    void manyDestinationsNeverHoldMoreConnectionsThanTheBudgetAndEveryClosedOneGotQuit() {
        startServers(20, b -> b);
        // Budget: in-flight 4 + allowance 2 = 6 connections for 20 destinations.
        SmtpClient client = client(PoolOptions.builder().maxIdleTime(NEVER).mxIdleTime(NEVER).idleAllowance(2), 4);
        List<MessageResult> results = client.sendAll(Flux.range(0, 200)
                        .map(i -> OutgoingMessage.of(i, to(i % 20 + 1), BODY)))
                .collectList().block(Duration.ofSeconds(30));

        assertThat(results).hasSize(200).allMatch(r -> r.outcome() == MessageResult.Outcome.DELIVERED, "delivered");
        assertThat(sum(s -> s.messages.get(), servers)).isEqualTo(200);
        // Without the budget every destination would keep its idle connection: 20 open at the end.
        assertThat(gauge.peakOpen.get()).as("connections open at once, at the servers").isBetween(1, 6);
        assertThat(client.openConnections()).isLessThanOrEqualTo(6);
        int connections = sum(s -> s.connections.get(), servers);
        assertThat(connections).as("destinations came back after their connection was closed").isGreaterThan(20);
        // Every connection the budget closed was closed politely: QUIT, then the close.
        LoopbackSmtpServer.await(() -> sum(s -> s.quits.get(), servers) == connections - gauge.open.get(), WAIT,
                "a QUIT for every connection closed");
    }

    @Test
    void aBudgetOfSixteenKeepsTwoSlotsFreeByClosingTheOldestIdleConnections() {
        startServers(16, b -> b);
        SmtpClient client = client(PoolOptions.builder().maxConnections(16).maxIdleTime(NEVER).mxIdleTime(NEVER), 10);
        for (int d = 1; d <= 16; d++) {
            assertThat(client.send(to(d), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
        }
        // An eighth of the budget is kept free while idle connections can be closed instead: the two oldest went.
        LoopbackSmtpServer.await(() -> gauge.open.get() == 14 && client.openConnections() == 14, WAIT,
                "14 connections open, not " + gauge.open.get());
        assertThat(server(1).quits.get() + server(2).quits.get()).isEqualTo(2);
        assertThat(sum(s -> s.quits.get(), servers)).isEqualTo(2);
        assertThat(gauge.peakOpen.get()).isLessThanOrEqualTo(15);
    }

    @Test
    void theLeastRecentlyUsedIdleConnectionIsClosedWithQuitForANewDestination() {
        startServers(3, b -> b);
        SmtpClient client = client(PoolOptions.builder().maxConnections(2).maxConnectionsPerDestination(1)
                .maxIdleTime(NEVER).mxIdleTime(NEVER), 10);
        assertThat(client.send(to(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
        assertThat(client.send(to(2), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
        // d1 used again: d2's connection is now the least recently used.
        assertThat(client.send(to(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);

        assertThat(client.send(to(3), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);

        LoopbackSmtpServer.await(() -> server(2).openConnections() == 0, WAIT, "d2's connection closed");
        assertThat(server(2).quits.get()).as("d2 got QUIT").isEqualTo(1);
        assertThat(server(1).quits.get()).as("d1, used more recently, kept; connections %d %d %d quits %d %d %d",
                server(1).connections.get(), server(2).connections.get(), server(3).connections.get(),
                server(1).quits.get(), server(2).quits.get(), server(3).quits.get()).isZero();
        assertThat(server(1).openConnections()).isEqualTo(1);
        assertThat(server(1).connections.get()).isEqualTo(1);
        assertThat(server(3).connections.get()).isEqualTo(1);
        assertThat(gauge.peakOpen.get()).isLessThanOrEqualTo(2);
    }

    @Test
    void aSessionInUseIsNeverClosedAndTheNewDestinationWaitsBoundedByThePendingAcquireTimeout() {
        CompletableFuture<Void> release = new CompletableFuture<>();
        startServers(2, b -> b.holdFinalReply(release, Duration.ofSeconds(20)));
        SmtpClient client = client(PoolOptions.builder().maxConnections(1).maxConnectionsPerDestination(1)
                .pendingAcquireTimeout(Duration.ofMillis(300)).maxIdleTime(NEVER).mxIdleTime(NEVER), 10);
        // d1's only message awaits its final reply: its session is back in the pool (pipelining) but in use.
        Mono<SendReport> first = client.send(to(1), BODY).cache();
        first.subscribe(r -> { }, e -> { });
        LoopbackSmtpServer.await(() -> gauge.held.get() == 1, WAIT, "d1's final dot held");

        Throwable second = catchThrowable(() -> client.send(to(2), BODY).block(WAIT));

        assertThat(second).isInstanceOf(SmtpConnectionException.class)
                .hasMessageContaining("pendingAcquireTimeout").hasMessageContaining("maxConnections");
        assertThat(((SmtpException) second).isRetryable()).isTrue();
        assertThat(server(1).quits.get()).as("the session in use was left alone").isZero();
        assertThat(server(2).connections.get()).as("the budget was not exceeded").isZero();
        release.complete(null);
        assertThat(first.block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
        // The slot the timed-out wait never got is not lost: d2 now gets the one d1's idle session frees.
        assertThat(client.send(to(2), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
        assertThat(server(1).quits.get()).isEqualTo(1);
        assertThat(gauge.peakOpen.get()).isEqualTo(1);
    }

    @Test
    void destinationsThatRefuseWhileTheBudgetIsFullLeakNoSlot() {
        // d1, d2: servers; d3: 421 at the greeting; d4: nobody listens (connection refused).
        startServers(3, (i, b) -> i == 3 ? b.greeting("421 4.7.0 too many connections") : b);
        SmtpClient client = client(PoolOptions.builder().maxConnections(2).maxConnectionsPerDestination(1)
                .pendingAcquireTimeout(Duration.ofSeconds(3)).maxIdleTime(NEVER).mxIdleTime(NEVER), 10);
        for (int round = 0; round < 5; round++) {
            assertThat(client.send(to(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(client.send(to(2), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
            // Budget full of idle sessions: each refused connect first closed one, then gave its slot back.
            assertThat(catchThrowable(() -> client.send(to(3), BODY).block(WAIT))).isInstanceOf(SmtpException.class);
            assertThat(catchThrowable(() -> client.send(to(4), BODY).block(WAIT))).isInstanceOf(SmtpException.class);
        }
        // Both slots are free again: two destinations at once, neither waits for a slot (3 s) nor fails.
        List<SendReport> both = Flux.merge(client.send(to(1), BODY), client.send(to(2), BODY))
                .collectList().block(WAIT);
        assertThat(both).hasSize(2).allMatch(r -> r.outcome() == Outcome.DELIVERED);
        assertThat(gauge.peakOpen.get()).isLessThanOrEqualTo(2);
        assertThat(server(3).connections.get()).isEqualTo(5);
    }

    @Test
    void idleConnectionsToMxHostsCloseAfterMxIdleTimeWhileRelayConnectionsStay() {
        startServers(2, b -> b);
        PoolOptions.Builder pool = PoolOptions.builder().maxIdleTime(NEVER).mxIdleTime(Duration.ofMillis(200));
        SmtpClient relay = SmtpClient.create(SmtpClientOptions.builder().relay("127.0.0.2", port)
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                .pool(pool.build()).build());
        clients.add(relay);
        assertThat(relay.send(to(2), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);
        SmtpClient mx = client(pool, 10);
        assertThat(mx.send(to(1), BODY).block(WAIT).outcome()).isEqualTo(Outcome.DELIVERED);

        LoopbackSmtpServer.await(() -> server(1).openConnections() == 0 && mx.openConnections() == 0, WAIT,
                "the MX connection closed when idle");
        assertThat(server(1).quits.get()).isEqualTo(1);
        // Idle for longer than the MX connection was, and still open: relays keep maxIdleTime.
        assertThat(server(2).openConnections()).isEqualTo(1);
        assertThat(server(2).quits.get()).isZero();
        assertThat(relay.openConnections()).isEqualTo(1);
    }

    @Test
    void theBudgetDefaultsToTheInFlightLimitPlusTheIdleAllowanceAndBadValuesAreNamed() {
        assertThat(PoolOptions.DEFAULT.mxIdleTime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(PoolOptions.DEFAULT.maxIdleTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(PoolOptions.DEFAULT.maxConnections()).isZero();
        assertThat(PoolOptions.DEFAULT.connectionBudget(50)).isEqualTo(50 + PoolOptions.DEFAULT_IDLE_ALLOWANCE);
        assertThat(PoolOptions.builder().idleAllowance(0).build().connectionBudget(50)).isEqualTo(50);
        assertThat(PoolOptions.builder().maxConnections(12).build().connectionBudget(50)).isEqualTo(12);
        assertThat(PoolOptions.builder().maxConnections(12).build().mutate().build().maxConnections()).isEqualTo(12);
        // A per-destination bound above a budget that follows the in-flight limit is not an error: the budget binds.
        assertThat(PoolOptions.builder().maxConnectionsPerDestination(500).build().connectionBudget(10)).isEqualTo(26);

        assertThatThrownBy(() -> PoolOptions.builder().maxConnections(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxConnections must be at least 1: 0");
        assertThatThrownBy(() -> PoolOptions.builder().idleAllowance(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("idleAllowance must not be negative: -1");
        assertThatThrownBy(() -> PoolOptions.builder().mxIdleTime(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("mxIdleTime must be positive: PT0S");
        assertThatThrownBy(() -> PoolOptions.builder().mxIdleTime(null).build())
                .isInstanceOf(NullPointerException.class).hasMessage("mxIdleTime");
        assertThatThrownBy(() -> PoolOptions.builder().maxConnections(5).maxConnectionsPerDestination(6).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConnectionsPerDestination 6 exceeds maxConnections 5");
    }
}
