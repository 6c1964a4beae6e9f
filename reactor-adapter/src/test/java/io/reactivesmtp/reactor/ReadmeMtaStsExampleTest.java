package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.reactor.mtasts.DnsTxtLookup;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicies;
import io.reactivesmtp.reactor.mtasts.TlsReporting;
import io.reactivesmtp.reactor.mtasts.TlsRptRecord;
import io.reactivesmtp.reactor.mtasts.TlsRptReport;
import io.reactivesmtp.testing.ReadmeCode;
import io.reactivesmtp.testing.TestPki;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Java example of the README's "MTA-STS and TLS-RPT" section against a {@link TestDnsServer}, a
 * {@link PolicyHttpsServer} and a {@link StartTlsMxServer} (the test PKI and ports are the only lines the README
 * leaves out).
 */
class ReadmeMtaStsExampleTest {

    @TempDir
    Path pemDir;

    @Test
    void theMtaStsExampleWorks() throws Exception {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        TrustManagerFactory testCa = PolicyHttpsServer.trustingTestCa();
        TlsOptions testTrust = TlsOptions.builder().trustPem(TestPki.caPem(pemDir)).build();
        Envelope envelope = Envelope.of("a@sender.example", "x@example.com");
        MessageContent content = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");
        List<URI> sentTo = new ArrayList<>();
        SendReport sent;
        try (TestDnsServer zone = TestDnsServer.start();
                PolicyHttpsServer https = PolicyHttpsServer.start(TestPki.forHosts("mta-sts.example.com"));
                StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(
                        TestPki.issuedFor("mx1.mail.example.com")));
                DnsTxtLookup dns = DnsTxtLookup.create(loops.next(), zone.address());
                DnsMxResolver mx = DnsMxResolver.builder(loops.next()).nameServers(zone.address()).build()) {
            zone.txt("_mta-sts.example.com", 60, "v=STSv1; id=20260101")
                    .a("mta-sts.example.com", "127.0.0.1", 60)
                    .mx("example.com", 10, "mx1.mail.example.com", 60)
                    .a("mx1.mail.example.com", "127.0.0.1", 60)
                    .txt("_smtp._tls.example.com", 60, "v=TLSRPTv1; rua=mailto:tlsrpt@example.com");
            https.policy("example.com", "version: STSv1\nmode: enforce\nmx: *.mail.example.com\nmax_age: 86400\n");
            int port = https.port();
            Instant dayStart = Instant.parse("2026-01-01T00:00:00Z");
            Instant dayEnd = dayStart.plus(Duration.ofDays(1));

            // README-BEGIN
            MtaStsPolicies sts = MtaStsPolicies.builder(dns)          // DnsTxtLookup dns = DnsTxtLookup.create(loop)
                    .addressResolver(dns.addressResolverGroup())  // mta-sts.<domain> through the same DNS
                    .trustManagerFactory(testCa).policyPort(port)
                    .build();               // JDK trust store, port 443, 64 KiB, 20 s, cached by id and max_age
            TlsReporting tlsRpt = new TlsReporting();
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .routing(Routing.mx(mx).withTlsPolicies(sts).withTlsReporting(tlsRpt))
                    .mxPort(server.port())
                    .session(SmtpSessionOptions.builder().heloName("mail.sender.example")
                            .tls(testTrust)
                            .build())
                    .build());
            sent = client.send(envelope, content).block();   // sent.mxTls(): example.com at verify (MTA_STS)

            // once a day (or hour): one report per policy domain, sent where its _smtp._tls record says
            for (TlsRptReport report : tlsRpt.drain(dayStart, dayEnd, "Example Sender", "mailto:tlsrpt@sender.example")) {
                Optional<TlsRptRecord> where = TlsRptRecord.lookup(dns, report.policyDomain()).block(Duration.ofSeconds(10));
                // mail report.gzipped() to where.get().mailto(), or POST it to where.get().https() (RFC 8460 5)
                where.ifPresent(r -> sentTo.addAll(r.mailto()));
            }
            // README-END
            client.disposeLater().block(Duration.ofSeconds(10));
            assertThat(server.mailCommands.get()).isEqualTo(1);
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        MxTlsStatus s = sent.mxTls().get("example.com");
        assertThat(s.level()).isEqualTo(MxTlsLevel.VERIFY);
        assertThat(s.source()).isEqualTo(MxTlsStatus.Source.MTA_STS);
        assertThat(sentTo).containsExactly(URI.create("mailto:tlsrpt@example.com"));
        assertThat(ReadmeCode.normalise(ReadmeCode.blockAfter("## MTA-STS and TLS-RPT"))).isEqualTo(
                ReadmeCode.normalise(ReadmeCode.markedCode(ReadmeMtaStsExampleTest.class))
                        .replace(".trustManagerFactory(testCa).policyPort(port)\n", "")
                        .replace(".mxPort(server.port())\n", "")
                        .replace(".tls(testTrust)\n", "")
                        .replace("where.ifPresent(r -> sentTo.addAll(r.mailto()));\n", ""));
    }
}
