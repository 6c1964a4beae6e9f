package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.dns.DnsRecordType;
import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.dane.TlsaRecord;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DnsMxResolver#resolveTlsa}: the DO bit, the AD bit and whom it is believed from, caching, bad answers; and
 * whether the MX answer itself was DNSSEC-validated, which DANE also needs.
 */
class DnsMxResolverTlsaTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] HASH = new byte[32];
    private static EventLoopGroup loops;

    @BeforeAll
    static void startLoops() {
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static DnsMxResolver.Builder resolver(TestDnsServer dns) {
        return DnsMxResolver.builder(loops.next()).nameServers(dns.address()).queryTimeout(Duration.ofMillis(300));
    }

    @Test
    void validatedRecordsAreCachedAndAskedForWithTheDoBit() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start(); DnsMxResolver mx = resolver(dns).build()) {
            dns.tlsa("_25._tcp.mx.example.test", 3, 1, 1, HASH, 60).tlsa("_25._tcp.mx.example.test", 9, 1, 1, HASH, 60);
            dns.authenticData(true);
            assertThat(mx.trustsAuthenticatedData()).as("a loopback DNS server is trusted by default").isTrue();
            TlsaAnswer a = mx.resolveTlsa("MX.example.test.", 25).block(WAIT);
            assertThat(a.status()).isEqualTo(TlsaAnswer.Status.VALIDATED);
            assertThat(a.records()).containsExactly(TlsaRecord.of(3, 1, 1, HASH), TlsaRecord.of(9, 1, 1, HASH));
            assertThat(a.hasUsable()).isTrue();
            assertThat(mx.resolveTlsa("mx.example.test", 25).block(WAIT)).isEqualTo(a);
            assertThat(dns.queries("_25._tcp.mx.example.test", DnsRecordType.TLSA)).as("cached").isEqualTo(1);
            assertThat(dns.dnssecOkQueries()).isEqualTo(1);
        }
    }

    @Test
    void theAdBitIsNotBelievedFromAnUntrustedResolverNorAbsent() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start();
                DnsMxResolver untrusted = resolver(dns).trustAuthenticatedData(false).build();
                DnsMxResolver trusted = resolver(dns).build()) {
            dns.tlsa("_25._tcp.mx.example.test", 3, 1, 1, HASH, 60).tlsa("_2525._tcp.mx.example.test", 3, 1, 1, HASH, 60);
            dns.authenticData(true);
            assertThat(untrusted.resolveTlsa("mx.example.test", 25).block(WAIT).status())
                    .isEqualTo(TlsaAnswer.Status.UNVALIDATED);
            dns.authenticData(false);
            assertThat(trusted.resolveTlsa("mx.example.test", 2525).block(WAIT).status())
                    .isEqualTo(TlsaAnswer.Status.UNVALIDATED);
        }
    }

    @Test
    void aRemoteResolverIsNotTrustedByDefault() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start();
                DnsMxResolver remote = DnsMxResolver.builder(loops.next())
                        .nameServers(new InetSocketAddress("192.0.2.53", 53), dns.address()).build()) {
            assertThat(remote.trustsAuthenticatedData()).isFalse();
        }
    }

    @Test
    void mxHostsAreDnssecValidatedOnlyWhenTheWholeMxAnswerCarriesABelievedAdBit() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start(); DnsMxResolver trusted = resolver(dns).build();
                DnsMxResolver untrusted = resolver(dns).trustAuthenticatedData(false).build()) {
            dns.mx("signed.test", 10, "mx.signed.test", 60).mx("plain.test", 10, "mx.plain.test", 60)
                    .cname("alias.test", "signed.test", 60).unsigned("plain.test").unsigned("alias.test");
            dns.a("implicit.test", "127.0.0.1", 60).a("half.test", "127.0.0.1", 60).unsigned("half.test",
                    DnsRecordType.A);
            dns.authenticData(true);
            assertThat(trusted.resolve("signed.test").block(WAIT)).containsExactly(MxHost.of("mx.signed.test", 10, true));
            assertThat(untrusted.resolve("signed.test").block(WAIT).get(0).dnssecValidated()).isFalse();
            assertThat(trusted.resolve("plain.test").block(WAIT).get(0).dnssecValidated()).isFalse();
            assertThat(trusted.resolve("alias.test").block(WAIT)).as("an unsigned CNAME to a signed MX")
                    .containsExactly(MxHost.of("mx.signed.test", 10, false));
            // Implicit MX (RFC 7672 §2.2.2): the proof of no MX and the address answer must both be validated.
            assertThat(trusted.resolve("implicit.test").block(WAIT)).containsExactly(MxHost.of("implicit.test", 0, true));
            assertThat(trusted.resolve("half.test").block(WAIT)).containsExactly(MxHost.of("half.test", 0, false));
            assertThat(dns.dnssecOkQueries()).as("every query asks with DO").isEqualTo(
                    dns.queries("signed.test", DnsRecordType.MX) + dns.queries("plain.test", DnsRecordType.MX)
                    + dns.queries("alias.test", DnsRecordType.MX) + dns.queries("implicit.test", DnsRecordType.MX)
                    + dns.queries("implicit.test", DnsRecordType.A) + dns.queries("half.test", DnsRecordType.MX)
                    + dns.queries("half.test", DnsRecordType.A));
        }
    }

    @Test
    void noRecordsIsNoneAndATimeoutOrAMalformedRecordIsAnError() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start(); DnsMxResolver mx = resolver(dns).build()) {
            dns.exists("_25._tcp.plain.example.test");
            assertThat(mx.resolveTlsa("plain.example.test", 25).block(WAIT)).isEqualTo(TlsaAnswer.none());
            assertThat(mx.resolveTlsa("nothing.example.test", 25).block(WAIT)).isEqualTo(TlsaAnswer.none());
            dns.tlsa("_25._tcp.bad.example.test", 3, 1, 1, new byte[0], 60); // 3 bytes of RDATA: malformed
            assertThatThrownBy(() -> mx.resolveTlsa("bad.example.test", 25).block(WAIT))
                    .isInstanceOf(SmtpConnectionException.class).hasMessageContaining("malformed");
            dns.dropQueries(DnsRecordType.TLSA);
            assertThatThrownBy(() -> mx.resolveTlsa("slow.example.test", 25).block(WAIT))
                    .isInstanceOf(SmtpConnectionException.class).hasMessageContaining("timed out");
            assertThatThrownBy(() -> mx.resolveTlsa("bad host", 25)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> mx.resolveTlsa("mx.example.test", 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void policiesValidateTheirPatternsAndMatchOneLabel() {
        MxTlsPolicy p = MxTlsPolicy.of(MxTlsPolicy.Mode.ENFORCE, List.of("mx1.example.test", "*.mail.example.test"),
                MxTlsStatus.Source.MTA_STS);
        assertThat(p.matches("MX1.example.test.")).isTrue();
        assertThat(p.matches("a.mail.example.test")).isTrue();
        assertThat(p.matches("mail.example.test")).isFalse();
        assertThat(p.matches("a.b.mail.example.test")).isFalse();
        for (String odd : List.of("*", "*.", "a.*.example.test", "*.*.example.test", "mx*.example.test", "",
                "mx..example.test", "mx example.test")) {
            assertThatThrownBy(() -> MxTlsPolicy.of(MxTlsPolicy.Mode.ENFORCE, List.of(odd), MxTlsStatus.Source.MTA_STS))
                    .as(odd).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid MX pattern");
        }
        assertThatThrownBy(() -> MxTlsPolicy.of(MxTlsPolicy.Mode.ENFORCE, List.of("mx.example.test"),
                MxTlsStatus.Source.DANE)).hasMessageContaining("MTA_STS or CONFIGURED");
    }

    @Test
    void levelsHavePostfixNamesAndApplyToMxRoutingOnly() {
        assertThat(MxTlsLevel.of("Verify")).isEqualTo(MxTlsLevel.VERIFY);
        assertThatThrownBy(() -> MxTlsLevel.of("dane-only")).hasMessage(
                "invalid TLS level \"dane-only\": expected may, encrypt, dane, verify or secure");
        assertThat(Routing.mx(d -> null).mxTlsLevel()).isEqualTo(MxTlsLevel.DANE);
        assertThatThrownBy(() -> Routing.relay("smtp.example.test", 587).withTlsLevel(MxTlsLevel.MAY))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("MX routing only");
    }
}
