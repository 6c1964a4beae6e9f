package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpTimeoutException;
import io.reactivesmtp.TlsPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** Opening connections: bursts to one destination, and connects the server never accepted. */
class SmtpClientConnectTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);

    static SmtpClientOptions.Builder options(int port, Duration connectTimeout) {
        return SmtpClientOptions.builder()
                .relay("127.0.0.1", port)
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)
                        .timeout(SmtpPhase.CONNECT, connectTimeout)
                        // Far beyond the test's wait: only the connect timeout can end these sends in time.
                        .timeout(SmtpPhase.GREETING, Duration.ofMinutes(2))
                        .build());
    }

    @Test
    void aBurstOfSendsToOneDestinationOpensAtMostMaxPendingConnectsAtOnce() {
        int sends = 2000;
        int maxPendingConnects = 4;
        // A slow greeting keeps each connection in set-up long enough for an unbounded burst to pile up.
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().greetingDelay(Duration.ofMillis(50)).start()) {
            AtomicInteger connecting = new AtomicInteger();
            AtomicInteger peakConnecting = new AtomicInteger();
            SmtpEventListener connects = new SmtpEventListener() {
                @Override
                public void connectStart(String destination) {
                    peakConnecting.accumulateAndGet(connecting.incrementAndGet(), Math::max);
                }

                @Override
                public void sessionReady(String destination, SmtpSession session, Duration elapsed) {
                    connecting.decrementAndGet();
                }

                @Override
                public void connectFailed(String destination, SmtpException error, Duration elapsed) {
                    connecting.decrementAndGet();
                }
            };
            SmtpClient client = SmtpClient.create(options(server.port(), Duration.ofSeconds(30))
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(200)
                            .maxPendingConnectsPerDestination(maxPendingConnects).build())
                    .eventListener(connects)
                    .build());
            // Each send on its own, all subscribed at once: no sendAll in-flight bound in front of the pool.
            List<SendReport> reports = Flux.range(0, sends)
                    .flatMap(i -> client.send(SmtpClientPoolTest.envelope(i), SmtpClientPoolTest.BODY), sends)
                    .collectList().block(Duration.ofSeconds(60));
            assertThat(reports).hasSize(sends).allMatch(r -> r.outcome() == Outcome.DELIVERED);
            assertThat(server.messages.get()).isEqualTo(sends);
            assertThat(server.peakSettingUp.get()).as("connections accepted but not yet through EHLO at once")
                    .isBetween(1, maxPendingConnects);
            assertThat(peakConnecting.get()).as("connects in progress at once, from connectStart to ready")
                    .isBetween(1, maxPendingConnects);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void aConnectionTheServerNeverAcceptsFailsByTheConnectTimeoutNotTheGreetingTimeout() throws IOException {
        // The kernel completes the handshake into the backlog; the server never calls accept(), so never greets.
        try (ServerSocket neverAccepts = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SmtpClient client = SmtpClient.create(options(neverAccepts.getLocalPort(), CONNECT_TIMEOUT).build());
            assertFailsByConnectTimeout(client);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void aConnectToAFullBacklogFailsByTheConnectTimeout() throws IOException {
        try (ServerSocket neverAccepts = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fill = fillBacklog(neverAccepts);
            try {
                SmtpClient client = SmtpClient.create(options(neverAccepts.getLocalPort(), CONNECT_TIMEOUT).build());
                assertFailsByConnectTimeout(client);
                client.disposeLater().block(WAIT);
            } finally {
                for (Socket s : fill) {
                    s.close();
                }
            }
        }
    }

    @Test
    void maxPendingConnectsPerDestinationIsValidatedAndKeptByMutate() {
        assertThatThrownBy(() -> PoolOptions.builder().maxPendingConnectsPerDestination(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPendingConnectsPerDestination");
        assertThat(PoolOptions.DEFAULT.maxPendingConnectsPerDestination())
                .isEqualTo(PoolOptions.DEFAULT_MAX_PENDING_CONNECTS_PER_DESTINATION);
        PoolOptions three = PoolOptions.builder().maxPendingConnectsPerDestination(3).build();
        assertThat(three.mutate().build().maxPendingConnectsPerDestination()).isEqualTo(3);
        assertThat(three.toString()).contains("pendingConnectsPerDestination=3");
    }

    private static void assertFailsByConnectTimeout(SmtpClient client) {
        Throwable error = catchThrowable(() -> client.send(SmtpClientPoolTest.envelope(1), SmtpClientPoolTest.BODY)
                .block(WAIT));
        assertThat(error).isInstanceOf(SmtpTimeoutException.class);
        SmtpTimeoutException timeout = (SmtpTimeoutException) error;
        assertThat(timeout.phase()).isEqualTo(SmtpPhase.CONNECT);
        assertThat(timeout.timeout()).isEqualTo(CONNECT_TIMEOUT);
        assertThat(timeout.isRetryable()).isTrue();
    }

    /** Connects until one no longer completes: the backlog is full (Linux takes backlog + 1). */
    static List<Socket> fillBacklog(ServerSocket server) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Socket s = new Socket();
            sockets.add(s);
            try {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 200);
            } catch (IOException full) {
                return sockets;
            }
        }
        return sockets;
    }
}
