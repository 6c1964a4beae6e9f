package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.ssl.SslContext;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.testing.TestPki;
import io.reactivesmtp.testing.TestPki.Credential;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * MX routing's TLS levels against STARTTLS servers with good, self-signed, expired and mismatched certificates,
 * with the outcomes of Postfix's documentation (TLS_README, "Mandatory server certificate verification" and
 * friends), and DANE from TLSA records served with or without the AD bit by an in-JVM DNS server.
 */
class SmtpClientMxTlsLevelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String DOMAIN = "example.test";
    private static final String MX = "mx.example.test";
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");
    private static final Envelope ENVELOPE = Envelope.of("a@sender.test", "x@" + DOMAIN);

    private static final Credential GOOD = TestPki.issuedFor(MX);
    private static final Credential EXPIRED = TestPki.expiredFor(MX);
    private static final Credential SELF_SIGNED = TestPki.selfSigned();
    private static final Credential MISMATCHED = TestPki.wrongHost();

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

    /** What one send gave: the report, or the error. */
    private static final class Outcome {
        final SendReport report;
        final Throwable error;

        Outcome(SendReport report, Throwable error) {
            this.report = report;
            this.error = error;
        }

        MxTlsStatus status() {
            assertThat(error).as("send failed").isNull();
            return report.mxTls().get(DOMAIN);
        }
    }

    private static Outcome send(StartTlsMxServer server, TestDnsServer dns, MxTlsLevel level,
            UnaryOperator<DnsMxResolver.Builder> resolver, MxTlsPolicySource policies) {
        dns.mx(DOMAIN, 10, MX, 60).a(MX, "127.0.0.1", 60);
        try (DnsMxResolver mx = resolver.apply(DnsMxResolver.builder(loops.next()).nameServers(dns.address())
                .queryTimeout(Duration.ofMillis(500))).build()) {
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .routing(Routing.mx(mx).withTlsLevel(level).withTlsPolicies(policies))
                    .mxPort(server.port())
                    .session(SmtpSessionOptions.builder().heloName("client.test")
                            .tls(TlsOptions.builder().trustPem(TestPki.caPem(pemDir)).build()).build())
                    .build());
            try {
                return new Outcome(client.send(ENVELOPE, BODY).block(WAIT), null);
            } catch (RuntimeException e) {
                return new Outcome(null, e);
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
    }

    private static Outcome send(SslContext serverTls, MxTlsLevel level) throws Exception {
        try (StartTlsMxServer server = StartTlsMxServer.offering(serverTls); TestDnsServer dns = TestDnsServer.start()) {
            Outcome o = send(server, dns, level, b -> b, MxTlsPolicySource.NONE);
            assertThat(server.mailCommands.get()).as("MAIL only when delivered").isEqualTo(o.error == null ? 1 : 0);
            return o;
        }
    }

    private static void delivered(Credential cert, MxTlsLevel level, MxTlsLevel reached, MxTlsStatus.Source source,
            boolean authenticated) throws Exception {
        MxTlsStatus s = send(TestPki.serverContext(cert), level).status();
        assertThat(s.level()).as(level + " x " + cert.name()).isEqualTo(reached);
        assertThat(s.source()).isEqualTo(source);
        assertThat(s.encrypted()).isTrue();
        assertThat(s.authenticated()).isEqualTo(authenticated);
        assertThat(s.plaintextAfterFailedHandshake()).isFalse();
    }

    private static void refused(Credential cert, MxTlsLevel level) throws Exception {
        Outcome o = send(TestPki.serverContext(cert), level);
        assertThat(o.error).as(level + " x " + cert.name()).isInstanceOf(SmtpTlsException.class);
    }

    @Test
    void mayAndEncryptDeliverEncryptedWhateverTheCertificate() throws Exception {
        for (Credential cert : List.of(GOOD, SELF_SIGNED, EXPIRED, MISMATCHED)) {
            delivered(cert, MxTlsLevel.MAY, MxTlsLevel.MAY, MxTlsStatus.Source.NONE, false);
            delivered(cert, MxTlsLevel.ENCRYPT, MxTlsLevel.ENCRYPT, MxTlsStatus.Source.CONFIGURED, false);
        }
    }

    @Test
    void daneWithoutTlsaIsMay() throws Exception {
        for (Credential cert : List.of(GOOD, SELF_SIGNED, EXPIRED, MISMATCHED)) {
            delivered(cert, MxTlsLevel.DANE, MxTlsLevel.MAY, MxTlsStatus.Source.NONE, false);
        }
    }

    @Test
    void verifyDeliversOnlyWithAValidCertificateForTheMxName() throws Exception {
        delivered(GOOD, MxTlsLevel.VERIFY, MxTlsLevel.VERIFY, MxTlsStatus.Source.CONFIGURED, true);
        for (Credential cert : List.of(SELF_SIGNED, EXPIRED, MISMATCHED)) {
            refused(cert, MxTlsLevel.VERIFY);
        }
    }

    @Test
    void secureMatchesTheRecipientDomainNotTheMxName() throws Exception {
        delivered(TestPki.issuedFor(DOMAIN), MxTlsLevel.SECURE, MxTlsLevel.SECURE, MxTlsStatus.Source.CONFIGURED, true);
        for (Credential cert : List.of(GOOD, SELF_SIGNED, EXPIRED, MISMATCHED)) {
            refused(cert, MxTlsLevel.SECURE);
        }
    }

    @Test
    void withoutStartTlsOnlyMayAndDaneWithoutTlsaSendInPlaintext() throws Exception {
        for (MxTlsLevel level : MxTlsLevel.values()) {
            try (StartTlsMxServer server = StartTlsMxServer.plaintextOnly(); TestDnsServer dns = TestDnsServer.start()) {
                Outcome o = send(server, dns, level, b -> b, MxTlsPolicySource.NONE);
                if (level == MxTlsLevel.MAY || level == MxTlsLevel.DANE) {
                    assertThat(o.status().encrypted()).isFalse();
                    assertThat(server.delivered).containsExactly(false);
                } else {
                    assertThat(o.error).as(level.displayName()).isInstanceOf(SmtpTlsException.class)
                            .hasMessageContaining("does not offer STARTTLS");
                    assertThat(server.mailCommands.get()).isZero();
                }
            }
        }
    }

    @Test
    void mayRetriesTheSameHostInPlaintextAfterAFailedHandshakeAndSaysSo() throws Exception {
        try (StartTlsMxServer server = StartTlsMxServer.brokenHandshake(); TestDnsServer dns = TestDnsServer.start()) {
            MxTlsStatus s = send(server, dns, MxTlsLevel.MAY, b -> b, MxTlsPolicySource.NONE).status();
            assertThat(s.encrypted()).isFalse();
            assertThat(s.plaintextAfterFailedHandshake()).isTrue();
            assertThat(server.connections.get()).isEqualTo(2);
            assertThat(server.delivered).containsExactly(false);
        }
        try (StartTlsMxServer server = StartTlsMxServer.brokenHandshake(); TestDnsServer dns = TestDnsServer.start()) {
            Outcome o = send(server, dns, MxTlsLevel.ENCRYPT, b -> b, MxTlsPolicySource.NONE);
            assertThat(o.error).isInstanceOf(SmtpTlsException.class).hasMessageContaining("handshake");
            assertThat(server.mailCommands.get()).isZero();
        }
    }

    // ---- DANE

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    private static byte[] sha512(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-512").digest(bytes);
    }

    /** Sends at level dane to a server with {@code cert}, TLSA records set by {@code zone}, AD as given. */
    private static Outcome dane(SslContext serverTls, boolean ad, boolean trustAd, Zone zone) throws Exception {
        try (StartTlsMxServer server = StartTlsMxServer.offering(serverTls); TestDnsServer dns = TestDnsServer.start()) {
            zone.fill(dns, "_" + server.port() + "._tcp." + MX);
            dns.authenticData(ad);
            Outcome o = send(server, dns, MxTlsLevel.DANE, b -> b.trustAuthenticatedData(trustAd), MxTlsPolicySource.NONE);
            assertThat(dns.dnssecOkQueries()).as("the TLSA query asks for DNSSEC (DO bit)").isPositive();
            assertThat(server.mailCommands.get()).isEqualTo(o.error == null ? 1 : 0);
            return o;
        }
    }

    @FunctionalInterface
    private interface Zone {
        void fill(TestDnsServer dns, String tlsaName) throws Exception;
    }

    @Test
    void daneEeMatchesSpkiSha256AndFullCertificateSha512AndExactIgnoringNamesAndDates() throws Exception {
        for (Credential cert : List.of(GOOD, SELF_SIGNED, EXPIRED, MISMATCHED)) {
            X509Certificate c = cert.certificate();
            for (Zone zone : List.<Zone>of(
                    (dns, name) -> dns.tlsa(name, 3, 1, 1, sha256(c.getPublicKey().getEncoded()), 60),
                    (dns, name) -> dns.tlsa(name, 3, 0, 2, sha512(c.getEncoded()), 60),
                    (dns, name) -> dns.tlsa(name, 3, 0, 0, c.getEncoded(), 60))) {
                MxTlsStatus s = dane(TestPki.serverContext(cert), true, true, zone).status();
                assertThat(s.level()).as(cert.name()).isEqualTo(MxTlsLevel.DANE);
                assertThat(s.source()).isEqualTo(MxTlsStatus.Source.DANE);
                assertThat(s.authenticated()).isTrue();
                assertThat(s.mxDnssecValidated()).isTrue();
            }
        }
    }

    @Test
    void daneEeWithAMismatchingHashFailsClosed() throws Exception {
        byte[] other = sha256(SELF_SIGNED.certificate().getPublicKey().getEncoded());
        Outcome o = dane(TestPki.serverContext(GOOD), true, true, (dns, name) -> dns.tlsa(name, 3, 1, 1, other, 60));
        assertThat(o.error).isInstanceOf(SmtpTlsException.class).hasMessageContaining("DANE");
    }

    @Test
    void daneTaChecksTheChainToTheAnchorAndTheMxName() throws Exception {
        byte[] ca = sha256(TestPki.ca().certificate().getPublicKey().getEncoded());
        Zone ta = (dns, name) -> dns.tlsa(name, 2, 1, 1, ca, 60);
        assertThat(dane(TestPki.serverContextWithCa(GOOD), true, true, ta).status().level()).isEqualTo(MxTlsLevel.DANE);
        assertThat(dane(TestPki.serverContextWithCa(MISMATCHED), true, true, ta).error)
                .isInstanceOf(SmtpTlsException.class);
        assertThat(dane(TestPki.serverContextWithCa(EXPIRED), true, true, ta).error)
                .isInstanceOf(SmtpTlsException.class);
    }

    @Test
    void tlsaWithoutAdOrFromAnUntrustedResolverCountsAsNone() throws Exception {
        byte[] other = sha256(SELF_SIGNED.certificate().getPublicKey().getEncoded());
        Zone mismatching = (dns, name) -> dns.tlsa(name, 3, 1, 1, other, 60);
        for (boolean[] adTrust : new boolean[][] {{false, true}, {true, false}}) {
            MxTlsStatus s = dane(TestPki.serverContext(GOOD), adTrust[0], adTrust[1], mismatching).status();
            assertThat(s.level()).isEqualTo(MxTlsLevel.MAY);
            assertThat(s.source()).isEqualTo(MxTlsStatus.Source.NONE);
            assertThat(s.encrypted()).isTrue();
        }
    }

    @Test
    void validatedTlsaOfAHostFromAnUnvalidatedMxAnswerIsNotDane() throws Exception {
        byte[] spki = sha256(GOOD.certificate().getPublicKey().getEncoded());
        byte[] other = sha256(SELF_SIGNED.certificate().getPublicKey().getEncoded());
        // The same TLSA (with AD) behind a signed MX answer gives dane; behind an unsigned one (RFC 7672 §2.2.1)
        // it is not even asked for: may, and a mismatching hash does not stop the delivery.
        for (byte[] hash : List.of(spki, other)) {
            for (boolean mxSigned : new boolean[] {true, false}) {
                try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(GOOD));
                        TestDnsServer dns = TestDnsServer.start()) {
                    String tlsaName = "_" + server.port() + "._tcp." + MX;
                    dns.tlsa(tlsaName, 3, 1, 1, hash, 60);
                    if (!mxSigned) {
                        dns.unsigned(DOMAIN, DnsRecordType.MX);
                    }
                    dns.authenticData(true);
                    Outcome o = send(server, dns, MxTlsLevel.DANE, b -> b, MxTlsPolicySource.NONE);
                    if (mxSigned && hash == other) {
                        assertThat(o.error).isInstanceOf(SmtpTlsException.class).hasMessageContaining("DANE");
                        continue;
                    }
                    MxTlsStatus s = o.status();
                    assertThat(s.mxDnssecValidated()).isEqualTo(mxSigned);
                    assertThat(s.level()).isEqualTo(mxSigned ? MxTlsLevel.DANE : MxTlsLevel.MAY);
                    assertThat(s.source()).isEqualTo(mxSigned ? MxTlsStatus.Source.DANE : MxTlsStatus.Source.NONE);
                    assertThat(s.encrypted()).isTrue();
                    assertThat(s.toString()).contains(mxSigned ? "MX DNSSEC-validated" : "may (NONE)");
                    assertThat(dns.queries(tlsaName, DnsRecordType.TLSA)).isEqualTo(mxSigned ? 1 : 0);
                }
            }
        }
    }

    @Test
    void anUnvalidatedMxAnswerFallsBackToAnEnforcedPolicyNotToDane() throws Exception {
        byte[] other = sha256(SELF_SIGNED.certificate().getPublicKey().getEncoded());
        MxTlsPolicySource listed = d -> Mono.just(Optional.of(MxTlsPolicy.of(MxTlsPolicy.Mode.ENFORCE,
                List.of("*." + DOMAIN), MxTlsStatus.Source.MTA_STS)));
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(GOOD));
                TestDnsServer dns = TestDnsServer.start()) {
            dns.tlsa("_" + server.port() + "._tcp." + MX, 3, 1, 1, other, 60).unsigned(DOMAIN);
            dns.authenticData(true);
            MxTlsStatus s = send(server, dns, MxTlsLevel.DANE, b -> b, listed).status();
            assertThat(s.level()).isEqualTo(MxTlsLevel.VERIFY);
            assertThat(s.source()).isEqualTo(MxTlsStatus.Source.MTA_STS);
            assertThat(s.mxDnssecValidated()).isFalse();
        }
    }

    @Test
    void onlyUnusableTlsaRecordsMakeTlsMandatoryWithoutAuthentication() throws Exception {
        byte[] hash = sha256(GOOD.certificate().getPublicKey().getEncoded());
        Zone unusable = (dns, name) -> dns.tlsa(name, 7, 1, 1, hash, 60).tlsa(name, 1, 1, 1, hash, 60);
        MxTlsStatus s = dane(TestPki.serverContext(SELF_SIGNED), true, true, unusable).status();
        assertThat(s.level()).isEqualTo(MxTlsLevel.ENCRYPT);
        assertThat(s.source()).isEqualTo(MxTlsStatus.Source.DANE);
        assertThat(s.encrypted()).isTrue();
        // ... and never plaintext: a server without STARTTLS gets nothing.
        try (StartTlsMxServer server = StartTlsMxServer.plaintextOnly(); TestDnsServer dns = TestDnsServer.start()) {
            unusable.fill(dns, "_" + server.port() + "._tcp." + MX);
            dns.authenticData(true);
            Outcome o = send(server, dns, MxTlsLevel.DANE, b -> b.trustAuthenticatedData(true), MxTlsPolicySource.NONE);
            assertThat(o.error).isInstanceOf(SmtpTlsException.class);
            assertThat(server.mailCommands.get()).isZero();
        }
    }

    @Test
    void aTlsaLookupThatTimesOutSkipsTheHostAndNeverSendsInPlaintext() throws Exception {
        try (StartTlsMxServer server = StartTlsMxServer.plaintextOnly(); TestDnsServer dns = TestDnsServer.start()) {
            dns.dropQueries(DnsRecordType.TLSA);
            dns.authenticData(true); // a validated MX answer: only then is TLSA asked for
            Outcome o = send(server, dns, MxTlsLevel.DANE, b -> b, MxTlsPolicySource.NONE);
            assertThat(o.error).isInstanceOf(SmtpConnectionException.class)
                    .hasMessageContaining("DANE: the TLSA lookup for _" + server.port() + "._tcp." + MX)
                    .hasMessageContaining("not used");
            assertThat(((SmtpConnectionException) o.error).isRetryable()).isTrue();
            assertThat(server.connections.get()).isZero();
        }
    }

    @Test
    void anEnforcedPolicyRefusesUnlistedMxHostsAndVerifiesListedOnes() throws Exception {
        MxTlsPolicySource other = d -> Mono.just(Optional.of(MxTlsPolicy.of(MxTlsPolicy.Mode.ENFORCE,
                List.of("*.elsewhere.test"), MxTlsStatus.Source.MTA_STS)));
        MxTlsPolicySource listed = d -> Mono.just(Optional.of(MxTlsPolicy.of(MxTlsPolicy.Mode.ENFORCE,
                List.of("*." + DOMAIN), MxTlsStatus.Source.MTA_STS)));
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(GOOD));
                TestDnsServer dns = TestDnsServer.start()) {
            assertThat(send(server, dns, MxTlsLevel.DANE, b -> b, other).error)
                    .isInstanceOf(SmtpTlsException.class).hasMessageContaining("not listed");
            assertThat(server.connections.get()).isZero();
            MxTlsStatus s = send(server, dns, MxTlsLevel.DANE, b -> b, listed).status();
            assertThat(s.level()).isEqualTo(MxTlsLevel.VERIFY);
            assertThat(s.source()).isEqualTo(MxTlsStatus.Source.MTA_STS);
        }
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(SELF_SIGNED));
                TestDnsServer dns = TestDnsServer.start()) {
            assertThat(send(server, dns, MxTlsLevel.MAY, b -> b, listed).error).isInstanceOf(SmtpTlsException.class);
            assertThat(server.mailCommands.get()).isZero();
        }
    }

    @Test
    void aMessageToTwoDomainsReportsEachDomainsLevel() throws Exception {
        byte[] spki = sha256(GOOD.certificate().getPublicKey().getEncoded());
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(GOOD));
                TestDnsServer dns = TestDnsServer.start();
                DnsMxResolver mx = DnsMxResolver.builder(loops.next()).nameServers(dns.address()).build()) {
            // Two domains, two MX names for the one loopback server: only the first publishes TLSA.
            dns.mx(DOMAIN, 10, MX, 60).a(MX, "127.0.0.1", 60).mx("other.test", 10, "mx.other.test", 60)
                    .a("mx.other.test", "127.0.0.1", 60).tlsa("_" + server.port() + "._tcp." + MX, 3, 1, 1, spki, 60);
            dns.authenticData(true);
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder().routing(Routing.mx(mx))
                    .mxPort(server.port()).session(SmtpSessionOptions.builder().heloName("client.test").build()).build());
            try {
                SendReport report = client.send(Envelope.of("a@sender.test", "x@" + DOMAIN, "y@other.test"), BODY)
                        .block(WAIT);
                assertThat(report.mxTls()).containsOnlyKeys(DOMAIN, "other.test");
                assertThat(report.mxTls().get(DOMAIN).level()).isEqualTo(MxTlsLevel.DANE);
                assertThat(report.mxTls().get("other.test").level()).isEqualTo(MxTlsLevel.MAY);
                assertThat(report.mxTls().get("other.test").host()).isEqualTo("mx.other.test");
                assertThat(server.delivered).containsExactly(true, true);
            } finally {
                client.disposeLater().block(WAIT);
            }
        }
    }
}
