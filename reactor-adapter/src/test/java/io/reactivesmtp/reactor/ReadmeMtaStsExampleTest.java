package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.reactivesmtp.reactor.mtasts.DnsTxtLookup;
import io.reactivesmtp.reactor.mtasts.MtaStsLookup;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicies;
import io.reactivesmtp.reactor.mtasts.TlsReporting;
import io.reactivesmtp.reactor.mtasts.TlsRptPolicy;
import io.reactivesmtp.reactor.mtasts.TlsRptRecord;
import io.reactivesmtp.reactor.mtasts.TlsRptReport;
import io.reactivesmtp.testing.ReadmeCode;
import io.reactivesmtp.testing.TestPki;
import java.net.URI;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * Runs the Java example of the README's "MTA-STS and TLS-RPT" section against a {@link TestDnsServer} and a
 * {@link PolicyHttpsServer} (the test PKI and port are the only lines the README leaves out).
 */
class ReadmeMtaStsExampleTest {

    @Test
    void theMtaStsExampleWorks() throws Exception {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", TestPki.ca().certificate());
        TrustManagerFactory testCa = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        testCa.init(ks);
        List<String> delivered = new ArrayList<>();
        List<URI> sentTo = new ArrayList<>();
        try (TestDnsServer zone = TestDnsServer.start();
                PolicyHttpsServer https = PolicyHttpsServer.start(TestPki.forHosts("mta-sts.example.com"));
                DnsTxtLookup dns = DnsTxtLookup.create(loops.next(), zone.address())) {
            zone.txt("_mta-sts.example.com", 60, "v=STSv1; id=20260101")
                    .a("mta-sts.example.com", "127.0.0.1", 60)
                    .txt("_smtp._tls.example.com", 60, "v=TLSRPTv1; rua=mailto:tlsrpt@example.com");
            https.policy("example.com", "version: STSv1\nmode: enforce\nmx: *.mail.example.com\nmax_age: 86400\n");
            int port = https.port();
            TlsReporting tlsRpt = new TlsReporting();
            Instant dayStart = Instant.parse("2026-01-01T00:00:00Z");
            Instant dayEnd = dayStart.plus(Duration.ofDays(1));

            for (String mxHost : List.of("mx1.mail.example.com", "mx.elsewhere.example")) {
                // README-BEGIN
                MtaStsPolicies sts = MtaStsPolicies.builder(dns)          // DnsTxtLookup dns = DnsTxtLookup.create(loop)
                        .addressResolver(dns.addressResolverGroup())  // mta-sts.<domain> through the same DNS
                        .trustManagerFactory(testCa).policyPort(port)
                        .build();               // JDK trust store, port 443, 64 KiB, 20 s, cached by id and max_age
                MtaStsLookup found = sts.lookup("example.com").block(Duration.ofSeconds(30));
                if (found.enforced() && !found.policy().matches(mxHost)) {
                    continue;                   // not this MX (RFC 8461 4.1): try the next one
                }
                TlsRptPolicy policy = found.policyIfAny().map(p -> TlsRptPolicy.sts("example.com", p))
                        .orElse(TlsRptPolicy.noPolicyFound("example.com"));
                // ... deliver over TLS with the certificate verified for mxHost, then:
                tlsRpt.sessionSucceeded(policy);    // or sessionFailed(policy, TlsRptFailure.of(CERTIFICATE_EXPIRED, mxHost, ip))

                for (TlsRptReport report : tlsRpt.drain(dayStart, dayEnd, "Example Sender", "mailto:tlsrpt@sender.example")) {
                    Optional<TlsRptRecord> where = TlsRptRecord.lookup(dns, report.policyDomain()).block(Duration.ofSeconds(10));
                    // mail report.gzipped() to where.get().mailto(), or POST it to where.get().https() (RFC 8460 5)
                    where.ifPresent(r -> sentTo.addAll(r.mailto()));
                }
                // README-END
                delivered.add(mxHost);
            }
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        assertThat(delivered).containsExactly("mx1.mail.example.com");
        assertThat(sentTo).containsExactly(URI.create("mailto:tlsrpt@example.com"));
        assertThat(ReadmeCode.normalise(ReadmeCode.blockAfter("## MTA-STS and TLS-RPT"))).isEqualTo(
                ReadmeCode.normalise(ReadmeCode.markedCode(ReadmeMtaStsExampleTest.class))
                        .replace(".trustManagerFactory(testCa).policyPort(port)\n", "")
                        .replace("where.ifPresent(r -> sentTo.addAll(r.mailto()));\n", ""));
    }
}
