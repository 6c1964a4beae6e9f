package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.reactor.internal.DestinationKey;
import io.reactivesmtp.reactor.internal.MxCandidates;
import io.reactivesmtp.reactor.internal.MxTlsLevels;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * MX routing's path without lookups ({@link MxCandidates#now}, {@link MxTlsLevels#candidatesNow}) gives a domain's
 * candidates only when nothing needs a lookup, and then exactly the candidates the chain of lookups gives: same keys,
 * same TLS status, TLS-RPT target and address binding, in the same order.
 */
class MxCandidatesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int PORT = 2525;
    private static EventLoopGroup loops;

    @BeforeAll
    static void loops() {
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void shutdown() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static DnsMxResolver resolver(TestDnsServer dns) {
        return DnsMxResolver.builder(loops.next()).nameServers(dns.address()).queryTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static SmtpClientOptions options(Routing routing) {
        return SmtpClientOptions.builder().routing(routing).mxPort(PORT).build();
    }

    /** Everything a candidate carries, identity or not. */
    private static List<String> described(List<DestinationKey> keys) {
        return keys.stream().map(k -> k + " " + k.connectionName() + " " + k.addresses() + " " + k.mxTls() + " "
                + k.isPlaintextRetry() + " " + k.tlsRpt() + " " + k.sharesByAddress() + " " + k.session().tls()
                + " " + k.hashCode()).toList();
    }

    @Test
    void candidatesComeWithoutALookupOnlyOnceTheMxAnswerAndTheAddressesAreCachedAndEqualTheLookedUpOnes()
            throws Exception {
        try (TestDnsServer dns = TestDnsServer.start(); DnsMxResolver mx = resolver(dns)) {
            dns.mx("a.test", 10, "mx1.a.test", 60).mx("a.test", 20, "mx2.a.test", 60)
                    .a("mx1.a.test", "127.0.0.1", 60).a("mx2.a.test", "127.0.0.2", 60);
            for (MxTlsLevel level : List.of(MxTlsLevel.MAY, MxTlsLevel.ENCRYPT, MxTlsLevel.VERIFY, MxTlsLevel.DANE)) {
                SmtpClientOptions options = options(Routing.mx(mx).withTlsLevel(level));
                MxCandidates candidates = new MxCandidates(options, new MxTlsLevels(options));
                List<DestinationKey> lookedUp = candidates.lookedUp("a.test").block(WAIT);
                assertThat(candidates.now("a.test")).as(level.toString()).isNotNull();
                assertThat(described(candidates.now("a.test"))).as(level.toString())
                        .isEqualTo(described(lookedUp));
                assertThat(candidates.now("a.test")).isEqualTo(lookedUp);
            }
            SmtpClientOptions may = options(Routing.mx(mx).withTlsLevel(MxTlsLevel.MAY));
            assertThat(new MxCandidates(may, new MxTlsLevels(may)).now("a.test"))
                    .extracting(DestinationKey::connectionName)
                    .containsExactly("[127.0.0.1]:" + PORT, "[127.0.0.1]:" + PORT, "[127.0.0.2]:" + PORT,
                            "[127.0.0.2]:" + PORT);
        }
    }

    @Test
    void noCandidatesWithoutALookupWhileTheMxAnswerOrAnAddressIsNotCached() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start(); DnsMxResolver mx = resolver(dns)) {
            dns.mx("a.test", 10, "mx1.a.test", 60).mx("a.test", 20, "mx2.a.test", 60)
                    .a("mx1.a.test", "127.0.0.1", 60).a("mx2.a.test", "127.0.0.2", 60);
            SmtpClientOptions options = options(Routing.mx(mx).withTlsLevel(MxTlsLevel.MAY));
            MxCandidates candidates = new MxCandidates(options, new MxTlsLevels(options));
            assertThat(candidates.now("a.test")).as("nothing cached").isNull();
            mx.resolve("a.test").block(WAIT);
            assertThat(candidates.now("a.test")).as("the MX answer, no address").isNull();
            mx.resolveAddresses("mx1.a.test").block(WAIT);
            assertThat(candidates.now("a.test")).as("the second MX host's address is not cached").isNull();
            mx.resolveAddresses("mx2.a.test").block(WAIT);
            assertThat(candidates.now("a.test")).hasSize(4);
            assertThat(candidates.now("b.test")).as("another domain").isNull();
        }
    }

    @Test
    void noCandidatesWithoutALookupWhereTheTlsLevelNeedsOne() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start(); DnsMxResolver mx = resolver(dns)) {
            dns.mx("a.test", 10, "mx.a.test", 60).a("mx.a.test", "127.0.0.1", 60);
            List<MxHost> hosts = mx.resolve("a.test").block(WAIT);
            mx.resolveAddresses("mx.a.test").block(WAIT);
            MxTlsPolicySource none = domain -> Mono.just(Optional.empty()); // a source: it must be asked
            for (Routing routing : List.of(Routing.mx(mx).withTlsLevel(MxTlsLevel.SECURE),
                    Routing.mx(mx).withTlsLevel(MxTlsLevel.MAY).withTlsPolicies(none))) {
                SmtpClientOptions options = options(routing);
                assertThat(new MxTlsLevels(options).candidatesNow("a.test", hosts)).isNull();
                assertThat(new MxCandidates(options, new MxTlsLevels(options)).now("a.test")).isNull();
            }
            // DANE: a host of a validated MX answer needs its TLSA lookup; one of an unvalidated answer does not.
            SmtpClientOptions dane = options(Routing.mx(mx).withTlsLevel(MxTlsLevel.DANE));
            MxTlsLevels levels = new MxTlsLevels(dane);
            assertThat(levels.candidatesNow("a.test", List.of(hosts.get(0).withDnssecValidated(true)))).isNull();
            assertThat(levels.candidatesNow("a.test", hosts)).isNotNull();
            assertThat(levels.candidatesNow("a.test", List.of())).as("the chain says why there is none").isNull();
        }
    }

    @Test
    void theSendsThatComeWhileANewDomainIsLookedUpWaitForThoseLookupsAndGetTheSameCandidates() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start(); DnsMxResolver mx = resolver(dns)) {
            dns.mx("a.test", 10, "mx.a.test", 60).a("mx.a.test", "127.0.0.1", 60);
            SmtpClientOptions options = options(Routing.mx(mx).withTlsLevel(MxTlsLevel.MAY));
            MxCandidates candidates = new MxCandidates(options, new MxTlsLevels(options));
            // Made before any is subscribed: all but the first find its lookups under way.
            List<Mono<List<DestinationKey>>> sends = java.util.stream.IntStream.range(0, 20)
                    .mapToObj(i -> candidates.lookedUp("a.test")).toList();
            List<List<DestinationKey>> got = reactor.core.publisher.Flux.merge(sends).collectList().block(WAIT);
            assertThat(got).hasSize(20).allSatisfy(c -> assertThat(described(c)).isEqualTo(described(got.get(0))));
            assertThat(got.get(0)).extracting(DestinationKey::connectionName).containsOnly("[127.0.0.1]:" + PORT);
            assertThat(dns.queries("a.test", io.netty.handler.codec.dns.DnsRecordType.MX)).isEqualTo(1);
            assertThat(dns.queries("mx.a.test", io.netty.handler.codec.dns.DnsRecordType.A)).isEqualTo(1);
            // Done: a later send finds the answers cached, and nothing under way.
            assertThat(described(candidates.lookedUp("a.test").block(WAIT))).isEqualTo(described(got.get(0)));
            assertThat(dns.queries("a.test", io.netty.handler.codec.dns.DnsRecordType.MX)).isEqualTo(1);
        }
    }

    @Test
    void theSendsThatWaitedForAFailedLookupGetItsError() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start(); DnsMxResolver mx = resolver(dns)) {
            SmtpClientOptions options = options(Routing.mx(mx).withTlsLevel(MxTlsLevel.MAY));
            MxCandidates candidates = new MxCandidates(options, new MxTlsLevels(options));
            List<Mono<List<DestinationKey>>> sends = java.util.stream.IntStream.range(0, 5)
                    .mapToObj(i -> candidates.lookedUp("nowhere.test")).toList();
            for (Mono<List<DestinationKey>> send : sends) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> send.block(WAIT))
                        .isInstanceOf(io.reactivesmtp.SmtpNoMailExchangerException.class);
            }
            assertThat(dns.queries("nowhere.test", io.netty.handler.codec.dns.DnsRecordType.MX)).isEqualTo(1);
        }
    }
}
