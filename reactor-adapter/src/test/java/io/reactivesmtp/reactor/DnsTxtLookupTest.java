package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.reactor.mtasts.DnsTxtLookup;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link DnsTxtLookup} against {@link TestDnsServer}s on loopback: records, absence, failures, fallback. */
class DnsTxtLookupTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static EventLoopGroup loops;

    @BeforeAll
    static void startLoops() {
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void readsRecordsJoinsTheirStringsAndTellsAbsenceFromFailure() throws InterruptedException {
        try (TestDnsServer dns = TestDnsServer.start();
                DnsTxtLookup txt = DnsTxtLookup.create(loops.next(), new SequentialDnsServerAddressStreamProvider(
                        dns.address()), Duration.ofMillis(300))) {
            dns.txt("_mta-sts.a.test", 60, "v=STSv1; ", "id=1").txt("_mta-sts.a.test", 60, "other")
                    .exists("_mta-sts.empty.test").servfail("_mta-sts.broken.test");
            assertThat(txt.txt("_MTA-STS.a.test.").block(WAIT)).containsExactly("v=STSv1; id=1", "other");
            assertThat(txt.txt("_mta-sts.empty.test").block(WAIT)).isEmpty();          // NODATA
            assertThat(txt.txt("_mta-sts.nowhere.test").block(WAIT)).isEmpty();        // NXDOMAIN
            assertThatThrownBy(() -> txt.txt("_mta-sts.broken.test").block(WAIT))
                    .isInstanceOf(SmtpConnectionException.class)
                    .hasMessageContaining("DNS lookup of TXT for _mta-sts.broken.test failed")
                    .hasMessageContaining("SERVFAIL");
            assertThatThrownBy(() -> txt.txt("bad name.test")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid DNS name \"bad name.test\"");
        }
    }

    @Test
    void asksTheNextServerWhenOneFailsOrIsSilent() throws InterruptedException {
        try (TestDnsServer broken = TestDnsServer.start();
                TestDnsServer silent = TestDnsServer.start();
                TestDnsServer good = TestDnsServer.start();
                DnsTxtLookup txt = DnsTxtLookup.create(loops.next(), new SequentialDnsServerAddressStreamProvider(
                        broken.address(), silent.address(), good.address()), Duration.ofMillis(300))) {
            broken.servfail("_smtp._tls.a.test");
            silent.dropQueries(true);
            good.txt("_smtp._tls.a.test", 60, "v=TLSRPTv1; rua=mailto:r@a.test");
            assertThat(txt.txt("_smtp._tls.a.test").block(WAIT)).containsExactly("v=TLSRPTv1; rua=mailto:r@a.test");
            assertThat(broken.queries("_smtp._tls.a.test", DnsRecordType.TXT)).isEqualTo(1);
            assertThat(silent.queries("_smtp._tls.a.test", DnsRecordType.TXT)).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void failsOnceClosed() throws InterruptedException {
        try (TestDnsServer dns = TestDnsServer.start()) {
            DnsTxtLookup txt = DnsTxtLookup.create(loops.next(), dns.address());
            txt.close();
            txt.close();
            assertThatThrownBy(() -> txt.txt("_mta-sts.a.test").block(WAIT)).hasMessage("DnsTxtLookup is closed: cannot look up _mta-sts.a.test");
        }
    }
}
