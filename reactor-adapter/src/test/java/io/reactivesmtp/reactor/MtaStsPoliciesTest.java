package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.dns.DnsRecordType;
import io.reactivesmtp.reactor.PolicyHttpsServer.Answer;
import io.reactivesmtp.reactor.mtasts.DnsTxtLookup;
import io.reactivesmtp.reactor.mtasts.MtaStsFailure.Kind;
import io.reactivesmtp.reactor.mtasts.MtaStsLookup;
import io.reactivesmtp.reactor.mtasts.MtaStsLookup.Source;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicies;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicy;
import io.reactivesmtp.reactor.mtasts.TlsRptPolicy;
import io.reactivesmtp.reactor.mtasts.TlsRptRecord;
import io.reactivesmtp.reactor.mtasts.TlsRptResultType;
import io.reactivesmtp.testing.TestPki;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * {@link MtaStsPolicies} against a {@link TestDnsServer} answering the TXT and A records and a
 * {@link PolicyHttpsServer} serving policies, both on loopback, with a virtual clock for the cache.
 */
class MtaStsPoliciesTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String POLICY = "version: STSv1\nmode: enforce\nmx: mx1.good.test\nmx: *.mx.good.test\n"
            + "max_age: 86400\n";
    private static final List<String> DOMAINS = List.of("good.test", "redirect.test", "big.test", "bigchunked.test",
            "malformed.test", "html.test", "slow.test", "notype.test", "status.test", "other.test");

    private static EventLoopGroup loops;
    private static PolicyHttpsServer https;
    private static TrustManagerFactory testCa;

    private final VirtualClock clock = new VirtualClock();
    private TestDnsServer dns;
    private DnsTxtLookup txt;
    private MtaStsPolicies policies;

    @BeforeAll
    static void startServers() throws Exception {
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        https = PolicyHttpsServer.start(TestPki.forHosts(DOMAINS.stream().map(d -> "mta-sts." + d)
                .toArray(String[]::new)));
        testCa = PolicyHttpsServer.trustingTestCa();
    }

    @AfterAll
    static void stopServers() {
        https.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void startDns() throws InterruptedException {
        dns = TestDnsServer.start();
        for (String d : DOMAINS) {
            dns.a("mta-sts." + d, "127.0.0.1", 60);
        }
        txt = DnsTxtLookup.create(loops.next(), new io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider(
                dns.address()), Duration.ofMillis(500));
        policies = policies(https.port(), Duration.ofSeconds(5));
    }

    @AfterEach
    void stopDns() {
        txt.close();
        dns.close();
    }

    private MtaStsPolicies policies(int port, Duration fetchTimeout) {
        return MtaStsPolicies.builder(txt)
                .addressResolver(txt.addressResolverGroup())
                .trustManagerFactory(testCa)
                .policyPort(port)
                .fetchTimeout(fetchTimeout)
                .clock(clock)
                .build();
    }

    private MtaStsLookup lookup(String domain) {
        return policies.lookup(domain).block(WAIT);
    }

    @Test
    void fetchesAValidatedPolicyAndServesItFromTheCache() {
        dns.txt("_mta-sts.good.test", 60, "v=STSv1; id=20260101;");
        https.policy("good.test", POLICY);
        int before = https.requests("good.test");

        MtaStsLookup first = lookup("Good.Test.");
        assertThat(first.source()).isEqualTo(Source.FETCHED);
        assertThat(first.failure()).isNull();
        assertThat(first.enforced()).isTrue();
        assertThat(first.policy().id()).isEqualTo("20260101");
        assertThat(first.policy().matches("mx1.good.test")).isTrue();
        assertThat(first.policy().matches("a.mx.good.test")).isTrue();
        assertThat(first.policy().matches("evil.test")).isFalse();

        MtaStsLookup second = lookup("good.test");
        assertThat(second.source()).isEqualTo(Source.CACHED);
        assertThat(second.policy()).isEqualTo(first.policy());
        assertThat(https.requests("good.test") - before).isEqualTo(1);
        // Within the TXT recheck interval not even DNS is asked again.
        assertThat(dns.queries("_mta-sts.good.test", DnsRecordType.TXT)).isEqualTo(1);
        assertThat(policies.policyFor("good.test").block(WAIT)).contains(first.policy());
        assertThat(first.tlsRptPolicy()).isEqualTo(TlsRptPolicy.sts("good.test", first.policy()));
        assertThat(first.tlsRptPolicy().policyStrings()).hasSize(5);
    }

    @Test
    void theAbsenceOfARecordIsRememberedForTheRecheckInterval() {
        assertThat(lookup("other.test").source()).isEqualTo(Source.NONE);
        assertThat(lookup("other.test").source()).isEqualTo(Source.NONE);
        assertThat(dns.queries("_mta-sts.other.test", DnsRecordType.TXT)).isEqualTo(1);

        // Published meanwhile: seen once the interval is over.
        dns.txt("_mta-sts.other.test", 60, "v=STSv1; id=1");
        https.policy("other.test", POLICY.replace("good.test", "other.test"));
        assertThat(lookup("other.test").source()).isEqualTo(Source.NONE);
        clock.advance(MtaStsPolicies.DEFAULT_TXT_RECHECK.plusSeconds(1));
        assertThat(lookup("other.test").source()).isEqualTo(Source.FETCHED);
        assertThat(dns.queries("_mta-sts.other.test", DnsRecordType.TXT)).isEqualTo(2);
    }

    @Test
    void refetchesWhenTheIdChangesOnlyAfterTheRecheckInterval() {
        dns.txt("_mta-sts.good.test", 60, "v=STSv1; id=1");
        https.policy("good.test", POLICY);
        int before = https.requests("good.test");
        assertThat(lookup("good.test").source()).isEqualTo(Source.FETCHED);

        // Same id after the recheck: DNS asked, no fetch.
        clock.advance(MtaStsPolicies.DEFAULT_TXT_RECHECK.plusSeconds(1));
        assertThat(lookup("good.test").source()).isEqualTo(Source.CACHED);
        assertThat(dns.queries("_mta-sts.good.test", DnsRecordType.TXT)).isEqualTo(2);
        assertThat(https.requests("good.test") - before).isEqualTo(1);

        // New id: fetched again, the new policy replaces the old.
        dns.remove("_mta-sts.good.test").txt("_mta-sts.good.test", 60, "v=STSv1; id=2");
        https.policy("good.test", POLICY.replace("mode: enforce", "mode: testing"));
        assertThat(lookup("good.test").source()).isEqualTo(Source.CACHED); // recheck not due yet
        clock.advance(MtaStsPolicies.DEFAULT_TXT_RECHECK.plusSeconds(1));
        MtaStsLookup changed = lookup("good.test");
        assertThat(changed.source()).isEqualTo(Source.FETCHED);
        assertThat(changed.policy().id()).isEqualTo("2");
        assertThat(changed.policy().mode()).isEqualTo(MtaStsPolicy.Mode.TESTING);
        assertThat(https.requests("good.test") - before).isEqualTo(2);
    }

    @Test
    void refetchesWhenMaxAgeExpiresEvenWithTheSameId() {
        dns.txt("_mta-sts.good.test", 60, "v=STSv1; id=1");
        https.policy("good.test", POLICY);
        int before = https.requests("good.test");
        assertThat(lookup("good.test").source()).isEqualTo(Source.FETCHED);
        clock.advance(Duration.ofSeconds(86_399));
        assertThat(lookup("good.test").source()).isEqualTo(Source.CACHED);
        clock.advance(Duration.ofSeconds(1));
        assertThat(lookup("good.test").source()).isEqualTo(Source.FETCHED);
        assertThat(https.requests("good.test") - before).isEqualTo(2);
    }

    @Test
    void aFailureNeverDowngradesACachedEnforcedPolicyWithinMaxAge() {
        dns.txt("_mta-sts.good.test", 60, "v=STSv1; id=1");
        https.policy("good.test", POLICY);
        MtaStsPolicy enforced = lookup("good.test").policy();

        // A new id, but the fetch fails (an attacker blocking HTTPS): the cached policy stays in force.
        dns.remove("_mta-sts.good.test").txt("_mta-sts.good.test", 60, "v=STSv1; id=2");
        https.answer("good.test", new Answer(500, "text/plain", "down", false, Duration.ZERO, Map.of()));
        clock.advance(Duration.ofHours(1));
        MtaStsLookup failedFetch = lookup("good.test");
        assertThat(failedFetch.source()).isEqualTo(Source.CACHED);
        assertThat(failedFetch.policy()).isEqualTo(enforced);
        assertThat(failedFetch.enforced()).isTrue();
        assertThat(failedFetch.failure().kind()).isEqualTo(Kind.HTTP_STATUS);

        // A policy that does not parse: the same.
        https.policy("good.test", "version: STSv1\nmode: enforce\nmax_age: 86400\n");
        clock.advance(Duration.ofHours(1));
        MtaStsLookup invalid = lookup("good.test");
        assertThat(invalid.policy()).isEqualTo(enforced);
        assertThat(invalid.failure().kind()).isEqualTo(Kind.POLICY_INVALID);
        assertThat(invalid.failure().resultType()).contains(TlsRptResultType.STS_POLICY_INVALID);

        // The record gone (a domain withdraws with mode none, not by deleting it): the same, without failure.
        dns.remove("_mta-sts.good.test");
        clock.advance(Duration.ofHours(1));
        MtaStsLookup gone = lookup("good.test");
        assertThat(gone.policy()).isEqualTo(enforced);
        assertThat(gone.failure()).isNull();

        // DNS failing: the same.
        dns.servfail("_mta-sts.good.test");
        clock.advance(Duration.ofHours(1));
        MtaStsLookup dnsDown = lookup("good.test");
        assertThat(dnsDown.policy()).isEqualTo(enforced);
        assertThat(dnsDown.failure().kind()).isEqualTo(Kind.DNS_ERROR);
        assertThat(dnsDown.failure().message()).contains("_mta-sts.good.test");

        // Until max_age runs out: then nothing is left to apply.
        clock.advance(Duration.ofDays(1));
        MtaStsLookup expired = lookup("good.test");
        assertThat(expired.source()).isEqualTo(Source.NONE);
        assertThat(expired.policy()).isNull();
        assertThat(expired.failure().kind()).isEqualTo(Kind.DNS_ERROR);
    }

    @Test
    void anExpiredPolicyIsNotAppliedWhenTheRefetchFails() {
        dns.txt("_mta-sts.good.test", 60, "v=STSv1; id=1");
        https.policy("good.test", POLICY);
        assertThat(lookup("good.test").source()).isEqualTo(Source.FETCHED);
        https.answer("good.test", new Answer(503, "text/plain", "", false, Duration.ZERO, Map.of()));
        clock.advance(Duration.ofDays(1));
        MtaStsLookup after = lookup("good.test");
        assertThat(after.source()).isEqualTo(Source.NONE);
        assertThat(after.failure().kind()).isEqualTo(Kind.HTTP_STATUS);
        assertThat(after.failure().message()).contains("https://mta-sts.good.test:" + https.port()
                + "/.well-known/mta-sts.txt answered 503");
    }

    @Test
    void refusesToFollowARedirect() {
        dns.txt("_mta-sts.redirect.test", 60, "v=STSv1; id=1");
        https.policy("other.test", POLICY);
        https.answer("redirect.test", new Answer(301, "text/plain", "", false, Duration.ZERO,
                Map.of("Location", "https://mta-sts.other.test:" + https.port() + "/.well-known/mta-sts.txt")));
        int otherBefore = https.requests("other.test");
        MtaStsLookup l = lookup("redirect.test");
        assertThat(l.source()).isEqualTo(Source.NONE);
        assertThat(l.failure().kind()).isEqualTo(Kind.REDIRECT);
        assertThat(l.failure().message()).contains("answered 301 to https://mta-sts.other.test")
                .contains("not followed");
        assertThat(l.failure().resultType()).contains(TlsRptResultType.STS_POLICY_FETCH_ERROR);
        assertThat(https.requests("other.test")).isEqualTo(otherBefore);
        // Sessions to the domain count under an sts policy that could not be had.
        assertThat(l.tlsRptPolicy()).isEqualTo(new TlsRptPolicy(TlsRptPolicy.Type.STS, "redirect.test", List.of(),
                List.of()));
    }

    @Test
    void refusesAnOversizedPolicyAnnouncedOrStreamed() {
        String huge = POLICY + "x".repeat(70 * 1024) + ": y\n";
        dns.txt("_mta-sts.big.test", 60, "v=STSv1; id=1");
        dns.txt("_mta-sts.bigchunked.test", 60, "v=STSv1; id=1");
        https.answer("big.test", new Answer(200, "text/plain", huge, false, Duration.ZERO, Map.of()));
        https.answer("bigchunked.test", new Answer(200, "text/plain", huge, true, Duration.ZERO, Map.of()));
        MtaStsLookup announced = lookup("big.test");
        assertThat(announced.failure().kind()).isEqualTo(Kind.TOO_LARGE);
        assertThat(announced.failure().message()).contains("bytes announced");
        MtaStsLookup streamed = lookup("bigchunked.test");
        assertThat(streamed.failure().kind()).isEqualTo(Kind.TOO_LARGE);
        assertThat(streamed.failure().message()).contains("more than that sent");
        assertThat(streamed.policy()).isNull();
    }

    @Test
    void refusesMalformedPoliciesAndWrongContentTypes() {
        dns.txt("_mta-sts.malformed.test", 60, "v=STSv1; id=1");
        dns.txt("_mta-sts.html.test", 60, "v=STSv1; id=1");
        dns.txt("_mta-sts.notype.test", 60, "v=STSv1; id=1");
        https.policy("malformed.test", "version: STSv1\nmode: enforce\nmx: *.*.malformed.test\nmax_age: 86400\n");
        https.answer("html.test", new Answer(200, "text/html", POLICY, false, Duration.ZERO, Map.of()));
        https.answer("notype.test", new Answer(200, null, POLICY, false, Duration.ZERO, Map.of()));

        MtaStsLookup malformed = lookup("malformed.test");
        assertThat(malformed.source()).isEqualTo(Source.NONE);
        assertThat(malformed.failure().kind()).isEqualTo(Kind.POLICY_INVALID);
        assertThat(malformed.failure().message()).contains("the policy of malformed.test is invalid")
                .contains("without a valid mx pattern");
        MtaStsLookup html = lookup("html.test");
        assertThat(html.failure().kind()).isEqualTo(Kind.CONTENT_TYPE);
        assertThat(html.failure().message()).contains("\"text/html\"").contains("expected text/plain");
        assertThat(lookup("notype.test").failure().message()).contains("no Content-Type");
    }

    @Test
    void boundsTheFetchInTime() {
        policies = policies(https.port(), Duration.ofMillis(400));
        dns.txt("_mta-sts.slow.test", 60, "v=STSv1; id=1");
        https.answer("slow.test", new Answer(200, "text/plain", POLICY, false, Duration.ofSeconds(30), Map.of()));
        MtaStsLookup l = lookup("slow.test");
        assertThat(l.source()).isEqualTo(Source.NONE);
        assertThat(l.failure().kind()).isEqualTo(Kind.TIMEOUT);
        assertThat(l.failure().resultType()).contains(TlsRptResultType.STS_POLICY_FETCH_ERROR);
    }

    @Test
    void refusesAPolicyHostWithABadCertificate() {
        for (TestPki.Credential bad : List.of(TestPki.wrongHost(), TestPki.selfSigned(), TestPki.expired())) {
            try (PolicyHttpsServer badServer = PolicyHttpsServer.start(bad)) {
                badServer.policy("good.test", POLICY);
                dns.remove("_mta-sts.good.test").txt("_mta-sts.good.test", 60, "v=STSv1; id=1");
                MtaStsLookup l = policies(badServer.port(), Duration.ofSeconds(5)).lookup("good.test").block(WAIT);
                assertThat(l.source()).as(bad.name()).isEqualTo(Source.NONE);
                assertThat(l.failure().kind()).as(bad.name()).isEqualTo(Kind.WEBPKI_INVALID);
                assertThat(l.failure().resultType()).contains(TlsRptResultType.STS_WEBPKI_INVALID);
                assertThat(badServer.requests("good.test")).as(bad.name()).isZero();
            }
        }
    }

    @Test
    void anUnusableTxtRecordMeansNoPolicyAndNoFetch() {
        dns.txt("_mta-sts.good.test", 60, "v=STSv1; id=1").txt("_mta-sts.good.test", 60, "v=STSv1; id=2");
        https.policy("good.test", POLICY);
        int before = https.requests("good.test");
        MtaStsLookup two = lookup("good.test");
        assertThat(two.source()).isEqualTo(Source.NONE);
        assertThat(two.failure().kind()).isEqualTo(Kind.TXT_INVALID);
        assertThat(two.failure().resultType()).isEmpty();

        dns.remove("_mta-sts.good.test").txt("_mta-sts.good.test", 60, "v=STSv1; id=not-alnum");
        assertThat(lookup("good.test").failure().kind()).isEqualTo(Kind.TXT_INVALID);
        assertThat(https.requests("good.test")).isEqualTo(before);
    }

    @Test
    void readsATxtRecordSplitIntoStringsAndThroughACname() {
        dns.txt("_mta-sts.good.test", 60, "v=STSv1; ", "id=split1");
        https.policy("good.test", POLICY);
        assertThat(lookup("good.test").policy().id()).isEqualTo("split1");

        dns.cname("_mta-sts.other.test", "_mta-sts.provider.test", 60).txt("_mta-sts.provider.test", 60,
                "v=STSv1; id=viacname");
        https.policy("other.test", POLICY);
        assertThat(lookup("other.test").policy().id()).isEqualTo("viacname");
    }

    @Test
    void noRecordMeansNoPolicyWithoutFailure() {
        MtaStsLookup l = lookup("nothing.test");
        assertThat(l.source()).isEqualTo(Source.NONE);
        assertThat(l.failure()).isNull();
        assertThat(policies.policyFor("nothing.test").block(WAIT)).isEqualTo(Optional.empty());
        assertThat(l.tlsRptPolicy()).isEqualTo(TlsRptPolicy.noPolicyFound("nothing.test"));
    }

    @Test
    void aDomainTooLongForTheRecordHasNoPolicy() {
        String longDomain = ("a".repeat(60) + ".").repeat(4) + "test"; // 248 characters: valid, but not with _mta-sts.
        MtaStsLookup l = lookup(longDomain);
        assertThat(l.source()).isEqualTo(Source.NONE);
        assertThat(l.failure()).isNull();
        assertThat(TlsRptRecord.lookup(txt, longDomain).block(WAIT)).isEmpty();
    }

    @Test
    void aTxtLookupThatThrowsIsADnsFailure() {
        MtaStsPolicies broken = MtaStsPolicies.builder(name -> {
            throw new IllegalStateException("resolver closed");
        }).build();
        MtaStsLookup l = broken.lookup("good.test").block(WAIT);
        assertThat(l.source()).isEqualTo(Source.NONE);
        assertThat(l.failure().kind()).isEqualTo(Kind.DNS_ERROR);
        assertThat(l.failure().message()).contains("resolver closed");
        MtaStsLookup silent = MtaStsPolicies.builder(name -> reactor.core.publisher.Mono.empty()).build()
                .lookup("good.test").block(WAIT);
        assertThat(silent.failure().message()).isEqualTo("TXT lookup of _mta-sts.good.test gave no answer");
    }

    @Test
    void dnsThatDoesNotAnswerIsATypedFailure() {
        dns.dropQueries(true);
        MtaStsLookup l = lookup("good.test");
        assertThat(l.source()).isEqualTo(Source.NONE);
        assertThat(l.failure().kind()).isEqualTo(Kind.DNS_ERROR);
        assertThat(l.failure().message()).contains("timed out");
    }

    @Test
    void concurrentLookupsShareOneFetch() {
        dns.txt("_mta-sts.slow.test", 60, "v=STSv1; id=1");
        https.answer("slow.test", new Answer(200, "text/plain", POLICY, false, Duration.ofMillis(300), Map.of()));
        int before = https.requests("slow.test");
        List<MtaStsLookup> all = Flux.range(0, 8).flatMap(i -> policies.lookup("slow.test")).collectList()
                .block(WAIT);
        assertThat(all).hasSize(8).allMatch(l -> l.policy() != null && l.policy().id().equals("1"));
        assertThat(https.requests("slow.test") - before).isEqualTo(1);
        assertThat(dns.queries("_mta-sts.slow.test", DnsRecordType.TXT)).isEqualTo(1);
    }

    @Test
    void anInvalidDomainFailsAtOnce() {
        assertThatThrownBy(() -> policies.lookup("bad domain.test")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid domain \"bad domain.test\"");
        assertThatThrownBy(() -> MtaStsPolicies.builder(txt).policyPort(0)).hasMessageContaining("port 0");
    }

    @Test
    void findsTheTlsRptRecord() {
        dns.txt("_smtp._tls.good.test", 60, "v=TLSRPTv1; rua=mailto:tlsrpt@good.test,https://r.good.test/tlsrpt");
        dns.txt("_smtp._tls.other.test", 60, "v=TLSRPTv1; rua=mailto:a@other.test")
                .txt("_smtp._tls.other.test", 60, "v=TLSRPTv1; rua=mailto:b@other.test");
        Optional<TlsRptRecord> good = TlsRptRecord.lookup(txt, "good.test").block(WAIT);
        assertThat(good).isPresent();
        assertThat(good.get().mailto()).containsExactly(URI.create("mailto:tlsrpt@good.test"));
        assertThat(good.get().https()).containsExactly(URI.create("https://r.good.test/tlsrpt"));
        assertThat(TlsRptRecord.lookup(txt, "other.test").block(WAIT)).isEmpty();
        assertThat(TlsRptRecord.lookup(txt, "nothing.test").block(WAIT)).isEmpty();
        dns.servfail("_smtp._tls.good.test");
        assertThatThrownBy(() -> TlsRptRecord.lookup(txt, "good.test").block(WAIT))
                .hasMessageContaining("DNS lookup of TXT for _smtp._tls.good.test failed");
    }

    /** A clock the test moves by hand. */
    private static final class VirtualClock extends Clock {
        private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
