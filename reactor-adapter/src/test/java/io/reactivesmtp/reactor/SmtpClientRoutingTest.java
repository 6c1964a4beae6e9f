package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.SmtpPolicyException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.TlsPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Relay failover and MX routing with a resolver the test controls. */
class SmtpClientRoutingTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static SmtpClient client(Routing routing, int mxPort) {
        return SmtpClient.create(SmtpClientOptions.builder().routing(routing).mxPort(mxPort)
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build()).build());
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static InetSocketAddress at(int port) {
        return InetSocketAddress.createUnresolved("127.0.0.1", port);
    }

    @Test
    void aRefusedConnectionFailsOverToTheNextRelay() throws Exception {
        try (LoopbackSmtpServer second = LoopbackSmtpServer.start()) {
            SmtpClient client = client(Routing.relays(List.of(at(closedPort()), at(second.port()))), 25);
            assertThat(client.send(Envelope.of("a@b.test", "x@c.test"), SmtpClientPoolTest.BODY).block(WAIT)
                    .outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(second.messages.get()).isEqualTo(1);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void a421GreetingFailsOverAndA554GreetingDoesNot() {
        try (LoopbackSmtpServer busy = LoopbackSmtpServer.builder().greeting("421 4.3.2 busy").start();
             LoopbackSmtpServer refusing = LoopbackSmtpServer.builder().greeting("554 5.7.1 go away").start();
             LoopbackSmtpServer good = LoopbackSmtpServer.start()) {
            SmtpClient failover = client(Routing.relays(List.of(at(busy.port()), at(good.port()))), 25);
            assertThat(failover.send(Envelope.of("a@b.test", "x@c.test"), SmtpClientPoolTest.BODY).block(WAIT)
                    .outcome()).isEqualTo(Outcome.DELIVERED);
            failover.disposeLater().block(WAIT);

            SmtpClient noFailover = client(Routing.relays(List.of(at(refusing.port()), at(good.port()))), 25);
            StepVerifier.create(noFailover.send(Envelope.of("a@b.test", "x@c.test"), SmtpClientPoolTest.BODY))
                    .expectError(SmtpSessionRejectedException.class).verify(WAIT);
            assertThat(good.connections.get()).isEqualTo(1);
            noFailover.disposeLater().block(WAIT);
        }
    }

    @Test
    void mxModeSendsOneTransactionPerDomainAndMergesTheReports() throws Exception {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            Map<String, List<MxHost>> dns = Map.of(
                    "a.test", List.of(MxHost.of("127.0.0.1", 10)),
                    // The first exchanger refuses connections: the next one gets the message.
                    "b.test", List.of(MxHost.of("127.0.0.2", 10), MxHost.of("127.0.0.1", 20)));
            MxResolver resolver = domain -> dns.containsKey(domain) ? Mono.just(dns.get(domain))
                    : Mono.error(new SmtpPolicyException("null MX for " + domain));
            SmtpClient client = client(Routing.mx(resolver), server.port());
            SendReport report = client.send(Envelope.of("s@x.test", "one@a.test", "two@B.test", "three@a.test"),
                    SmtpClientPoolTest.BODY).block(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(report.recipients()).extracting(r -> r.address().toString())
                    .containsExactly("one@a.test", "two@B.test", "three@a.test");
            assertThat(server.messages.get()).isEqualTo(2);

            // A domain without a verdict (null MX) errors the Mono, but the other domain's verdict is kept.
            StepVerifier.create(client.send(Envelope.of("s@x.test", "one@a.test", "n@null.test"),
                    SmtpClientPoolTest.BODY))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(SmtpPolicyException.class);
                        SendReport partial = ((SmtpPolicyException) e).partialReport().orElseThrow();
                        assertThat(partial.acceptedRecipients()).extracting(Object::toString).containsExactly("one@a.test");
                    })
                    .verify(WAIT);
            client.disposeLater().block(WAIT);
        }
    }
}
