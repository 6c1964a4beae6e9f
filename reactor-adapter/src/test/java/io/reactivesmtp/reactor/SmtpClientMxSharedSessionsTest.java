package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.reactor.mtasts.TlsRptListener;
import io.reactivesmtp.reactor.mtasts.TlsRptPolicy;
import io.reactivesmtp.testing.TestPki;
import io.reactivesmtp.testing.TestPki.Credential;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MX routing shares sessions by address (as Postfix's connection cache does): MX hosts of different domains whose
 * names resolve to the same addresses share one pool at the levels that check no name (may, encrypt), never at the
 * levels that authenticate the name (verify, dane); the report still names each domain's own MX host. Servers and
 * DNS are in the JVM, on loopback; connections are counted at the server.
 */
class SmtpClientMxSharedSessionsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");
    private static final List<String> DOMAINS = List.of("a.test", "b.test", "c.test");

    @TempDir
    static Path pemDir;
    private static EventLoopGroup loops;

    @BeforeAll
    static void loops() {
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void shutdown() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Events of the client, as "kind destination". */
    private static final class Events implements SmtpEventListener {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void connectStart(String destination) {
            seen.add("connect " + destination);
        }

        @Override
        public void transactionEnd(String destination, SendReport report) {
            seen.add("transaction " + destination);
        }

        @Override
        public void pacingChanged(String site, int previousLimit, int newLimit, String reason) {
            seen.add("pacing " + site + " " + reason);
        }
    }

    /** Each domain D's MX is mx.D (preference 10). */
    private static TestDnsServer dns(List<String> domains) throws InterruptedException {
        TestDnsServer dns = TestDnsServer.start();
        for (String d : domains) {
            dns.mx(d, 10, "mx." + d, 60);
        }
        return dns;
    }

    private static SmtpClientOptions.Builder options(DnsMxResolver mx, MxTlsLevel level, int port, Events events) {
        return SmtpClientOptions.builder()
                .routing(Routing.mx(mx).withTlsLevel(level))
                .mxPort(port)
                .session(SmtpSessionOptions.builder().heloName("client.test")
                        .tls(TlsOptions.builder().trustPem(TestPki.caPem(pemDir)).build()).build())
                .eventListener(events);
    }

    private static SmtpClient client(DnsMxResolver mx, MxTlsLevel level, int port, Events events) {
        return SmtpClient.create(options(mx, level, port, events).build());
    }

    private static DnsMxResolver resolver(TestDnsServer dns) {
        return DnsMxResolver.builder(loops.next()).nameServers(dns.address()).queryTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** One message per domain, one after the other (each session back in its pool before the next send). */
    private static List<SendReport> sendEach(SmtpClient client, List<String> domains) {
        return domains.stream().map(d -> client.send(Envelope.of("s@sender.test", "x@" + d), BODY).block(WAIT))
                .toList();
    }

    @Test
    void mxHostsAtOneAddressShareOneConnectionAtMayAndEncryptAndTheReportNamesEachDomainsMxHost() throws Exception {
        for (MxTlsLevel level : List.of(MxTlsLevel.MAY, MxTlsLevel.ENCRYPT)) {
            try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(TestPki.selfSigned()));
                 TestDnsServer dns = dns(DOMAINS);
                 DnsMxResolver mx = resolver(dns)) {
                DOMAINS.forEach(d -> dns.a("mx." + d, "127.0.0.1", 60));
                Events events = new Events();
                SmtpClient client = client(mx, level, server.port(), events);
                try {
                    List<SendReport> reports = sendEach(client, DOMAINS);
                    assertThat(server.connections.get()).as(level + ": one connection for the three domains")
                            .isEqualTo(1);
                    assertThat(server.delivered).containsExactly(true, true, true);
                    for (int i = 0; i < DOMAINS.size(); i++) {
                        MxTlsStatus s = reports.get(i).mxTls().get(DOMAINS.get(i));
                        assertThat(s.host()).isEqualTo("mx." + DOMAINS.get(i));
                        assertThat(s.level()).isEqualTo(level);
                        assertThat(s.encrypted()).isTrue();
                    }
                    int p = server.port();
                    assertThat(events.seen).containsExactly("connect [127.0.0.1]:" + p, "transaction mx.a.test:" + p,
                            "transaction mx.b.test:" + p, "transaction mx.c.test:" + p);
                } finally {
                    client.disposeLater().block(WAIT);
                }
            }
        }
    }

    @Test
    void aSharedSessionCountsOnceForEachPolicyDomainInTlsRpt() throws Exception {
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(TestPki.selfSigned()));
             TestDnsServer dns = dns(DOMAINS);
             DnsMxResolver mx = resolver(dns)) {
            DOMAINS.forEach(d -> dns.a("mx." + d, "127.0.0.1", 60));
            List<String> succeeded = new CopyOnWriteArrayList<>();
            TlsRptListener rpt = new TlsRptListener() {
                @Override
                public void sessionSucceeded(TlsRptPolicy policy) {
                    succeeded.add(policy.policyDomain());
                }
            };
            SmtpClient client = SmtpClient.create(options(mx, MxTlsLevel.MAY, server.port(), new Events())
                    .routing(Routing.mx(mx).withTlsLevel(MxTlsLevel.MAY).withTlsReporting(rpt)).build());
            try {
                sendEach(client, DOMAINS);
                sendEach(client, DOMAINS);
                assertThat(server.connections.get()).isEqualTo(1);
                assertThat(succeeded).containsExactlyElementsOf(DOMAINS);
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
    }

    @Test
    void verifyNeverUsesASessionVerifiedForAnotherMxNameAtTheSameAddress() throws Exception {
        // The certificate names mx.a.test only: b.test's MX host must not get a.test's verified session.
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(TestPki.issuedFor("mx.a.test")));
             TestDnsServer dns = dns(DOMAINS);
             DnsMxResolver mx = resolver(dns)) {
            DOMAINS.forEach(d -> dns.a("mx." + d, "127.0.0.1", 60));
            SmtpClient client = client(mx, MxTlsLevel.VERIFY, server.port(), new Events());
            try {
                SendReport a = client.send(Envelope.of("s@sender.test", "x@a.test"), BODY).block(WAIT);
                assertThat(a.mxTls().get("a.test").authenticated()).isTrue();
                assertThatThrownBy(() -> client.send(Envelope.of("s@sender.test", "x@b.test"), BODY).block(WAIT))
                        .isInstanceOf(SmtpTlsException.class);
                assertThat(server.connections.get()).isEqualTo(2);
                assertThat(server.delivered).containsExactly(true);
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
        // With a certificate for both names, each name still gets its own verified session.
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(
                TestPki.issuedFor("mx.a.test", "mx.b.test", "mx.c.test")));
             TestDnsServer dns = dns(DOMAINS);
             DnsMxResolver mx = resolver(dns)) {
            DOMAINS.forEach(d -> dns.a("mx." + d, "127.0.0.1", 60));
            SmtpClient client = client(mx, MxTlsLevel.VERIFY, server.port(), new Events());
            try {
                List<SendReport> reports = sendEach(client, DOMAINS);
                assertThat(reports).allMatch(r -> r.mxTls().values().iterator().next().authenticated());
                assertThat(server.connections.get()).isEqualTo(3);
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
    }

    @Test
    void daneKeepsSessionsPerMxName() throws Exception {
        Credential cert = TestPki.issuedFor("mx.a.test");
        byte[] spki = MessageDigest.getInstance("SHA-256").digest(cert.certificate().getPublicKey().getEncoded());
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(cert));
             TestDnsServer dns = dns(DOMAINS);
             DnsMxResolver mx = resolver(dns)) {
            for (String d : DOMAINS) {
                dns.a("mx." + d, "127.0.0.1", 60).tlsa("_" + server.port() + "._tcp.mx." + d, 3, 1, 1, spki, 60);
            }
            dns.authenticData(true);
            SmtpClient client = client(mx, MxTlsLevel.DANE, server.port(), new Events());
            try {
                List<SendReport> reports = sendEach(client, DOMAINS);
                for (int i = 0; i < DOMAINS.size(); i++) {
                    MxTlsStatus s = reports.get(i).mxTls().get(DOMAINS.get(i));
                    assertThat(s.level()).isEqualTo(MxTlsLevel.DANE);
                    assertThat(s.host()).isEqualTo("mx." + DOMAINS.get(i));
                }
                assertThat(server.connections.get()).isEqualTo(3);
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
    }

    @Test
    void differentAddressesDoNotShareAndIpv6LoopbackMxHostsShareTheirs() throws Exception {
        try (LoopbackSmtpServer v4 = LoopbackSmtpServer.builder().start();
             LoopbackSmtpServer v6 = LoopbackSmtpServer.builder().bind("::1", v4.port()).start();
             TestDnsServer dns = dns(DOMAINS);
             DnsMxResolver mx = resolver(dns)) {
            dns.a("mx.a.test", "127.0.0.1", 60).aaaa("mx.b.test", "::1", 60).aaaa("mx.c.test", "::1", 60);
            Events events = new Events();
            SmtpClient client = client(mx, MxTlsLevel.MAY, v4.port(), events);
            try {
                sendEach(client, DOMAINS);
                assertThat(v4.messages.get()).isEqualTo(1);
                assertThat(v4.connections.get()).isEqualTo(1);
                assertThat(v6.messages.get()).isEqualTo(2);
                assertThat(v6.connections.get()).as("mx.b.test and mx.c.test are both ::1").isEqualTo(1);
                assertThat(events.seen).filteredOn(e -> e.startsWith("connect")).containsExactly(
                        "connect [127.0.0.1]:" + v4.port(), "connect [0:0:0:0:0:0:0:1]:" + v4.port());
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
    }

    @Test
    void aHostsAddressesAreTriedInOrderAndOnlyTheSameListShares() throws Exception {
        // Nothing listens at 127.0.0.2 on the server's port: the connect is refused and the next address is tried.
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().start();
             TestDnsServer dns = dns(DOMAINS);
             DnsMxResolver mx = resolver(dns)) {
            dns.a("mx.a.test", "127.0.0.2", 60).a("mx.a.test", "127.0.0.1", 60)
                    .a("mx.b.test", "127.0.0.2", 60).a("mx.b.test", "127.0.0.1", 60)
                    .a("mx.c.test", "127.0.0.1", 60);
            SmtpClient client = client(mx, MxTlsLevel.MAY, server.port(), new Events());
            try {
                List<SendReport> reports = sendEach(client, DOMAINS);
                assertThat(reports).allMatch(r -> r.recipients().get(0).status()
                        == io.reactivesmtp.RecipientResult.Status.ACCEPTED);
                assertThat(server.messages.get()).isEqualTo(3);
                assertThat(server.connections.get()).as("a and b share (127.0.0.2, 127.0.0.1); c is 127.0.0.1 alone")
                        .isEqualTo(2);
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
    }

    /** The events of a run under {@code pacing}, and the port of its server. */
    private record PacedRun(List<String> seen, int port) {
        List<String> pacing() {
            return seen.stream().filter(e -> e.startsWith("pacing ")).toList();
        }
    }

    /**
     * {@code n} messages, one recipient each, round robin over {@code domains} whose MX hosts are all at 127.0.0.1,
     * to one server that refuses a second connection, 20 in flight: the refusals make pacing slow a site down.
     */
    private static PacedRun pacedRun(List<String> domains, int n, Pacing pacing) throws Exception {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().maxConnections(1).start();
             TestDnsServer dns = dns(domains);
             DnsMxResolver mx = resolver(dns)) {
            domains.forEach(d -> dns.a("mx." + d, "127.0.0.1", 60));
            Events events = new Events();
            SmtpClient client = SmtpClient.create(options(mx, MxTlsLevel.MAY, server.port(), events)
                    .maxInFlight(20).pacing(pacing).build());
            try {
                List<MessageResult> results = client.sendAll(reactor.core.publisher.Flux.range(0, n)
                        .map(i -> OutgoingMessage.of(i, Envelope.of("s@sender.test",
                                "x" + i + "@" + domains.get(i % domains.size())), BODY)))
                        .collectList().block(Duration.ofSeconds(60));
                assertThat(results).hasSize(n);
                return new PacedRun(List.copyOf(events.seen), server.port());
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
    }

    @Test
    void thePacingSiteOfMxHostsAtOneAddressIsTheAddress() throws Exception {
        List<String> domains = java.util.stream.IntStream.range(0, 20).mapToObj(i -> "d" + i + ".test").toList();
        PacedRun run = pacedRun(domains, 200, Pacing.builder().quietPeriod(Duration.ofMinutes(10)).build());
        // One server refusing a second connection: the whole address slows down, not one MX name.
        assertThat(run.pacing()).as(run.seen().toString()).isNotEmpty()
                .allMatch(e -> e.startsWith("pacing [127.0.0.1]:" + run.port() + " "));
    }

    @Test
    void thePacingSiteOfMxHostsAtOneAddressUnderAProviderSuffixIsTheSuffix() throws Exception {
        List<String> domains = java.util.stream.IntStream.range(0, 10).mapToObj(i -> "d" + i + ".prov.test").toList();
        PacedRun run = pacedRun(domains, 100, Pacing.builder().quietPeriod(Duration.ofMinutes(10))
                .providerSuffixes(List.of("prov.test")).build());
        // The user's grouping is wider than one address: the suffix, not [127.0.0.1]:port, slows down.
        assertThat(run.pacing()).as(run.seen().toString()).isNotEmpty().allMatch(e -> e.startsWith("pacing prov.test "));
        assertThat(run.seen()).contains("connect [127.0.0.1]:" + run.port());
    }
}
