package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.dns.DnsRecordType;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPolicyException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.netty.Connection;
import reactor.netty.tcp.TcpClient;

/** {@link DnsMxResolver} against a {@link TestDnsServer} on loopback. */
class DnsMxResolverTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static EventLoopGroup loops;
    private TestDnsServer dns;
    private DnsMxResolver resolver;

    @BeforeAll
    static void startLoops() {
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void startDns() throws InterruptedException {
        dns = TestDnsServer.start();
        resolver = newResolver(new Random(1));
    }

    @AfterEach
    void stopDns() {
        resolver.close();
        dns.close();
    }

    private DnsMxResolver newResolver(Random random) {
        return DnsMxResolver.builder(loops.next())
                .nameServers(dns.address())
                .queryTimeout(Duration.ofMillis(300))
                .random(random)
                .build();
    }

    private static Throwable error(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected an error");
    }

    @Test
    void sortsByPreferenceAndCanonicalisesNames() {
        dns.mx("example.test", 20, "MX-B.Example.TEST.", 60)
                .mx("example.test", 10, "mx-a.example.test.", 60)
                .mx("example.test", 30, "mx-c.example.test.", 60);

        List<MxHost> hosts = resolver.resolve("Example.TEST.").block(WAIT);

        assertThat(hosts).containsExactly(MxHost.of("mx-a.example.test", 10), MxHost.of("mx-b.example.test", 20),
                MxHost.of("mx-c.example.test", 30));
        assertThat(hosts.get(1).host()).isEqualTo("mx-b.example.test");
    }

    @Test
    void shufflesHostsOfEqualPreferenceButKeepsPreferenceOrder() {
        dns.mx("shuffle.test", 10, "a.shuffle.test", 60)
                .mx("shuffle.test", 10, "b.shuffle.test", 60)
                .mx("shuffle.test", 5, "first.shuffle.test", 60)
                .mx("shuffle.test", 20, "last.shuffle.test", 60);
        Set<List<String>> orders = new HashSet<>();
        // Spread seeds: java.util.Random's first draws for neighbouring small seeds are nearly the same.
        long[] seeds = new Random(42).longs(32).toArray();
        for (long seed : seeds) {
            try (DnsMxResolver seeded = newResolver(new Random(seed))) {
                List<MxHost> hosts = seeded.resolve("shuffle.test").block(WAIT);
                assertThat(hosts).extracting(MxHost::preference).containsExactly(5, 10, 10, 20);
                assertThat(hosts.get(0).host()).isEqualTo("first.shuffle.test");
                assertThat(hosts.get(3).host()).isEqualTo("last.shuffle.test");
                orders.add(List.of(hosts.get(1).host(), hosts.get(2).host()));
            }
        }
        assertThat(orders).containsExactlyInAnyOrder(List.of("a.shuffle.test", "b.shuffle.test"),
                List.of("b.shuffle.test", "a.shuffle.test"));

        // The same seed gives the same order: the Random is what decides.
        try (DnsMxResolver one = newResolver(new Random(7)); DnsMxResolver two = newResolver(new Random(7))) {
            assertThat(one.resolve("shuffle.test").block(WAIT)).isEqualTo(two.resolve("shuffle.test").block(WAIT));
        }
    }

    @Test
    void followsCnameToTheMxRecords() {
        dns.cname("alias.test", "real.test", 60).mx("real.test", 10, "mx.real.test", 60);

        assertThat(resolver.resolve("alias.test").block(WAIT)).containsExactly(MxHost.of("mx.real.test", 10));
    }

    @Test
    void implicitMxWhenTheDomainHasAnAddressButNoMx() {
        dns.a("implicit.test", "127.0.0.1", 60);

        assertThat(resolver.resolve("implicit.test").block(WAIT)).containsExactly(MxHost.of("implicit.test", 0));
        // Cached with the address TTL: no second MX query.
        assertThat(resolver.resolve("implicit.test").block(WAIT)).containsExactly(MxHost.of("implicit.test", 0));
        assertThat(dns.queries("implicit.test", DnsRecordType.MX)).isEqualTo(1);
    }

    @Test
    void noMxAndNoAddressIsPermanent() {
        dns.exists("empty.test");

        Throwable e = error(() -> resolver.resolve("empty.test").block(WAIT));

        assertThat(e).isInstanceOf(SmtpPolicyException.class).hasMessageContaining("empty.test")
                .hasMessageContaining("no MX and no A or AAAA record");
        assertThat(((SmtpException) e).isRetryable()).isFalse();
        assertThat(dns.queries("empty.test", DnsRecordType.A)).isEqualTo(1);
        assertThat(dns.queries("empty.test", DnsRecordType.AAAA)).isEqualTo(1);
    }

    @Test
    void nullMxIsPermanent() {
        dns.mx("nomail.test", 0, ".", 60).a("nomail.test", "127.0.0.1", 60);

        Throwable e = error(() -> resolver.resolve("nomail.test").block(WAIT));

        assertThat(e).isInstanceOf(SmtpPolicyException.class)
                .hasMessage("nomail.test accepts no mail (null MX, RFC 7505)");
        assertThat(((SmtpException) e).isRetryable()).isFalse();
        // The address must not be used as an implicit MX.
        assertThat(dns.queries("nomail.test", DnsRecordType.A)).isZero();
    }

    @Test
    void nxdomainIsPermanent() {
        Throwable e = error(() -> resolver.resolve("unknown.test").block(WAIT));

        assertThat(e).isInstanceOf(SmtpPolicyException.class).hasMessage("unknown.test does not exist (NXDOMAIN)");
        assertThat(((SmtpException) e).isRetryable()).isFalse();
        // Reported as a permanent failure of its recipients, never resent.
        assertThat(((SmtpException) e).isPermanent()).isTrue();
    }

    @Test
    void timeoutIsRetryable() {
        dns.mx("slow.test", 10, "mx.slow.test", 60);
        dns.dropQueries(true);

        long start = System.nanoTime();
        Throwable e = error(() -> resolver.resolve("slow.test").block(WAIT));

        assertThat(e).isInstanceOf(SmtpConnectionException.class)
                .hasMessageStartingWith("DNS lookup of MX for slow.test failed: ")
                .hasMessageContaining("timed out");
        assertThat(((SmtpException) e).isRetryable()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        // A failure is not cached: once DNS answers again, so does the resolver.
        dns.dropQueries(false);
        assertThat(resolver.resolve("slow.test").block(WAIT)).containsExactly(MxHost.of("mx.slow.test", 10));
    }

    @Test
    void servfailIsRetryable() {
        dns.servfail("broken.test");

        Throwable e = error(() -> resolver.resolve("broken.test").block(WAIT));

        assertThat(e).isInstanceOf(SmtpConnectionException.class)
                .hasMessageStartingWith("DNS lookup of MX for broken.test failed: ")
                .hasMessageContaining("SERVFAIL");
        assertThat(((SmtpException) e).isRetryable()).isTrue();
    }

    @Test
    void asksTheNextServerWhenOneDoesNotAnswer() throws InterruptedException {
        dns.mx("failover.test", 10, "mx.failover.test", 60);
        try (TestDnsServer silent = TestDnsServer.start();
                DnsMxResolver twoServers = DnsMxResolver.builder(loops.next())
                        .nameServers(silent.address(), dns.address())
                        .queryTimeout(Duration.ofMillis(300))
                        .build()) {
            silent.dropQueries(true);

            assertThat(twoServers.resolve("failover.test").block(WAIT))
                    .containsExactly(MxHost.of("mx.failover.test", 10));
            assertThat(silent.queries("failover.test", DnsRecordType.MX)).isEqualTo(1);
        }
    }

    @Test
    void cachesTheAnswerForItsTtl() {
        dns.mx("cached.test", 10, "mx.cached.test", 60).mx("short.test", 10, "mx.short.test", 1);

        resolver.resolve("cached.test").block(WAIT);
        resolver.resolve("cached.test").block(WAIT);
        assertThat(dns.queries("cached.test", DnsRecordType.MX)).isEqualTo(1);

        resolver.resolve("short.test").block(WAIT);
        assertThat(dns.queries("short.test", DnsRecordType.MX)).isEqualTo(1);
        // After the 1 s TTL the next resolve must ask again; bounded wait, polling.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (dns.queries("short.test", DnsRecordType.MX) < 2 && System.nanoTime() < deadline) {
            assertThat(resolver.resolve("short.test").block(WAIT)).containsExactly(MxHost.of("mx.short.test", 10));
            sleep(100);
        }
        assertThat(dns.queries("short.test", DnsRecordType.MX)).isEqualTo(2);
    }

    @Test
    void concurrentLookupsOfOneDomainShareOneQuery() {
        dns.mx("busy.test", 10, "mx.busy.test", 60);

        List<List<MxHost>> all = Flux.range(0, 50).flatMap(i -> resolver.resolve("busy.test")).collectList()
                .block(WAIT);

        assertThat(all).hasSize(50).allSatisfy(h -> assertThat(h).containsExactly(MxHost.of("mx.busy.test", 10)));
        assertThat(dns.queries("busy.test", DnsRecordType.MX)).isEqualTo(1);
    }

    @Test
    void rejectsInvalidDomainsNamingThem() {
        assertThatThrownBy(() -> resolver.resolve("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid domain \"\"");
        assertThatThrownBy(() -> resolver.resolve(".")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> resolver.resolve(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> resolver.resolve("exa mple.test")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exa mple.test");
        assertThatThrownBy(() -> resolver.resolve("evil.test\r\nRCPT TO:<x@y>"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("evil.test\\r\\nRCPT")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\r", "\n"));
        assertThatThrownBy(() -> resolver.resolve("bücher.test")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("A-labels");
        assertThatThrownBy(() -> resolver.resolve("a..test")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a..test");
        assertThatThrownBy(() -> resolver.resolve("x".repeat(64) + ".test"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1 to 63");
        assertThat(dns.queries("exa mple.test", DnsRecordType.MX)).isZero();
    }

    @Test
    void mxHostsResolveToAddressesThroughTheSameDns() throws Exception {
        dns.mx("deliver.test", 10, "mx1.deliver.test", 60).a("mx1.deliver.test", "127.0.0.1", 60);
        MxHost host = resolver.resolve("deliver.test").block(WAIT).get(0);

        assertThat(resolver.resolveAddresses(host.host()).block(WAIT))
                .containsExactly(InetAddress.getByName("127.0.0.1"));
        assertThatThrownBy(() -> resolver.resolveAddresses("nowhere.test").block(WAIT))
                .isInstanceOf(SmtpConnectionException.class).hasMessageContaining("nowhere.test");

        // What the client does: connect to the MX host name through a TcpClient using the resolver's group.
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Connection connection = TcpClient.newConnection()
                    .resolver(resolver.addressResolverGroup())
                    .host(host.host())
                    .port(server.getLocalPort())
                    .connect()
                    .block(WAIT);
            try {
                InetSocketAddress remote = (InetSocketAddress) connection.channel().remoteAddress();
                assertThat(remote.getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
                assertThat(remote.getPort()).isEqualTo(server.getLocalPort());
            } finally {
                connection.disposeNow();
            }
        }
        assertThat(resolver.addressResolverGroup()).isSameAs(resolver.addressResolverGroup());
    }

    @Test
    void concurrentLookupsOfOneHostsAddressesAskOnce() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        dns.a("busy.deliver.test", "127.0.0.1", 60);
        List<List<InetAddress>> all = reactor.core.publisher.Flux.range(0, 20)
                .flatMap(i -> resolver.resolveAddresses("busy.deliver.test")).collectList().block(WAIT);
        assertThat(all).hasSize(20).allMatch(a -> a.equals(List.of(loopback)));
        assertThat(dns.queries("busy.deliver.test", DnsRecordType.A)).isEqualTo(1);
    }

    @Test
    void cachedAddressesAreGivenAtOnceOnTheCallingThreadInTheResolversOrderUntilTheirTtlEnds() throws Exception {
        dns.a("multi.deliver.test", "127.0.0.3", 1).a("multi.deliver.test", "127.0.0.1", 1)
                .aaaa("multi.deliver.test", "::1", 1);
        List<InetAddress> first = resolver.resolveAddresses("multi.deliver.test").block(WAIT);
        assertThat(first).startsWith(InetAddress.getByName("127.0.0.3"), InetAddress.getByName("127.0.0.1"));
        int asked = dns.queries("multi.deliver.test", DnsRecordType.A);

        // Cached: no task on the resolver's event loop, no query; the same addresses in the same order.
        java.util.concurrent.atomic.AtomicReference<List<InetAddress>> got = new java.util.concurrent.atomic.AtomicReference<>();
        resolver.resolveAddresses("multi.deliver.test").subscribe(got::set);
        assertThat(got.get()).as("given during subscribe").isEqualTo(first);
        assertThat(dns.queries("multi.deliver.test", DnsRecordType.A)).isEqualTo(asked);

        // After the TTL (1 s) DNS is asked again.
        for (int i = 0; i < 100 && dns.queries("multi.deliver.test", DnsRecordType.A) == asked; i++) {
            sleep(50);
            assertThat(resolver.resolveAddresses("multi.deliver.test").block(WAIT)).isEqualTo(first);
        }
        assertThat(dns.queries("multi.deliver.test", DnsRecordType.A)).isGreaterThan(asked);
    }

    @Test
    void closedResolverRefusesWork() {
        resolver.close();
        resolver.close();

        assertThatThrownBy(() -> resolver.resolve("example.test").block(WAIT))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> resolver.addressResolverGroup()).isInstanceOf(IllegalStateException.class);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
