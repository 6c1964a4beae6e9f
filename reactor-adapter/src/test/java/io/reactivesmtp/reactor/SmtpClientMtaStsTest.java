package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.reactor.mtasts.DnsTxtLookup;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicies;
import io.reactivesmtp.reactor.mtasts.TlsReporting;
import io.reactivesmtp.reactor.mtasts.TlsRptReport;
import io.reactivesmtp.testing.TestPki;
import io.reactivesmtp.testing.TestPki.Credential;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MX routing with {@link MtaStsPolicies} as its policy source and a {@link TlsReporting} as its TLS-RPT listener,
 * against a {@link TestDnsServer} (MX, A, TXT), a {@link PolicyHttpsServer} serving the policies and
 * {@link StartTlsMxServer}s with good, self-signed, expired and mismatched certificates, all on loopback.
 */
class SmtpClientMtaStsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    private static final Instant END = Instant.parse("2026-12-01T23:59:59Z");
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");
    private static final List<String> DOMAINS = List.of("enforce.test", "testing.test", "listed.test", "unfetched.test",
            "plain.test", "unlisted.test");
    /** One certificate for every domain's MX host, mx.DOMAIN, from the test CA. */
    private static final Credential GOOD = TestPki.issuedFor(DOMAINS.stream().map(d -> "mx." + d)
            .toArray(String[]::new));

    @TempDir
    static Path pemDir;
    private static EventLoopGroup loops;
    private static PolicyHttpsServer https;
    private static TrustManagerFactory testCa;

    private TestDnsServer dns;
    private DnsTxtLookup txt;
    private DnsMxResolver mx;
    private MtaStsPolicies policies;
    private final TlsReporting reporting = new TlsReporting();

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
            dns.a("mta-sts." + d, "127.0.0.1", 60).mx(d, 10, "mx." + d, 60).a("mx." + d, "127.0.0.1", 60);
        }
        txt = DnsTxtLookup.create(loops.next(), new SequentialDnsServerAddressStreamProvider(dns.address()),
                Duration.ofMillis(500));
        mx = DnsMxResolver.builder(loops.next()).nameServers(dns.address()).queryTimeout(Duration.ofMillis(500))
                .build();
        policies = MtaStsPolicies.builder(txt).addressResolver(txt.addressResolverGroup()).trustManagerFactory(testCa)
                .policyPort(https.port()).fetchTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stopDns() {
        mx.close();
        txt.close();
        dns.close();
    }

    private void publish(String domain, String mode, String... mxPatterns) {
        dns.txt("_mta-sts." + domain, 60, "v=STSv1; id=1;");
        StringBuilder policy = new StringBuilder("version: STSv1\nmode: " + mode + "\n");
        for (String p : mxPatterns) {
            policy.append("mx: ").append(p).append('\n');
        }
        https.policy(domain, policy.append("max_age: 86400\n").toString());
    }

    /** Sends one message to x@domain through an MX server presenting the certificate (null: no STARTTLS). */
    private Object send(String domain, Credential cert, MxTlsLevel level, List<Integer> mailCommands) throws Exception {
        try (StartTlsMxServer server = cert == null ? StartTlsMxServer.plaintextOnly()
                : StartTlsMxServer.offering(TestPki.serverContext(cert))) {
            return sendVia(domain, server, level, mailCommands);
        }
    }

    private Object sendVia(String domain, StartTlsMxServer server, MxTlsLevel level, List<Integer> mailCommands) {
        SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                .routing(Routing.mx(mx).withTlsLevel(level).withTlsPolicies(policies).withTlsReporting(reporting))
                .mxPort(server.port())
                .session(SmtpSessionOptions.builder().heloName("client.test")
                        .tls(TlsOptions.builder().trustPem(TestPki.caPem(pemDir)).build()).build())
                .build());
        try {
            return client.send(Envelope.of("a@sender.test", "x@" + domain), BODY).block(WAIT);
        } catch (RuntimeException e) {
            return e;
        } finally {
            client.disposeLater().block(WAIT);
            mailCommands.add(server.mailCommands.get());
        }
    }

    private static MxTlsStatus delivered(Object outcome, String domain) {
        assertThat(outcome).isInstanceOf(SendReport.class);
        return ((SendReport) outcome).mxTls().get(domain);
    }

    /** The domain's report as JSON: its policies in order. */
    private JsonNode report(String domain) throws Exception {
        TlsRptReport report = reporting.report(domain, START, END, "Sender", "tls@sender.test").orElseThrow();
        return new ObjectMapper().readTree(report.json()).get("policies");
    }

    @Test
    void anEnforcedPolicyRefusesUnlistedHostsAndDeliversVerifiedToListedOnes() throws Exception {
        List<Integer> mail = new ArrayList<>();
        publish("enforce.test", "enforce", "*.elsewhere.test");
        Object refused = send("enforce.test", GOOD, MxTlsLevel.DANE, mail);
        assertThat(refused).isInstanceOf(SmtpTlsException.class);
        assertThat(((Exception) refused).getMessage()).contains("not listed").contains("mx.enforce.test");

        publish("listed.test", "enforce", "mx.listed.test");
        MxTlsStatus s = delivered(send("listed.test", GOOD, MxTlsLevel.DANE, mail), "listed.test");
        assertThat(s.level()).isEqualTo(MxTlsLevel.VERIFY);
        assertThat(s.source()).isEqualTo(MxTlsStatus.Source.MTA_STS);
        assertThat(s.authenticated()).isTrue();
        assertThat(mail).containsExactly(0, 1);
        // No session was made to the unlisted host: nothing to report for it.
        assertThat(reporting.policyDomains()).containsExactly("listed.test");
        JsonNode p = report("listed.test").get(0);
        assertThat(p.at("/policy/policy-type").asText()).isEqualTo("sts");
        assertThat(p.at("/policy/policy-string/1").asText()).isEqualTo("mode: enforce");
        assertThat(p.at("/summary/total-successful-session-count").asInt()).isEqualTo(1);
        assertThat(p.at("/summary/total-failure-session-count").asInt()).isZero();
    }

    @Test
    void anEnforcedPolicyNeverFallsBackToPlaintextOrUnverifiedTls() throws Exception {
        List<Integer> mail = new ArrayList<>();
        publish("enforce.test", "enforce", "mx.enforce.test");
        for (Credential cert : List.of(TestPki.selfSigned(), TestPki.expiredFor("mx.enforce.test"),
                TestPki.wrongHost())) {
            assertThat(send("enforce.test", cert, MxTlsLevel.MAY, mail)).as(cert.name())
                    .isInstanceOf(SmtpTlsException.class);
        }
        assertThat(send("enforce.test", null, MxTlsLevel.MAY, mail)).isInstanceOf(SmtpTlsException.class);
        assertThat(mail).containsExactly(0, 0, 0, 0);
        JsonNode p = report("enforce.test").get(0);
        assertThat(p.at("/summary/total-successful-session-count").asInt()).isZero();
        assertThat(p.at("/summary/total-failure-session-count").asInt()).isEqualTo(4);
        assertThat(resultTypes(p)).containsExactlyInAnyOrder("certificate-not-trusted", "certificate-expired",
                "certificate-host-mismatch", "starttls-not-supported");
    }

    @Test
    void testingModeDeliversAtTheRoutingsLevelAndReportsWhatEnforceWouldHaveRefused() throws Exception {
        List<Integer> mail = new ArrayList<>();
        publish("testing.test", "testing", "mx.testing.test");
        MxTlsStatus good = delivered(send("testing.test", GOOD, MxTlsLevel.DANE, mail), "testing.test");
        assertThat(good.level()).isEqualTo(MxTlsLevel.VERIFY);
        assertThat(good.source()).isEqualTo(MxTlsStatus.Source.MTA_STS);
        MxTlsStatus selfSigned = delivered(send("testing.test", TestPki.selfSigned(), MxTlsLevel.DANE, mail),
                "testing.test");
        assertThat(selfSigned.level()).isEqualTo(MxTlsLevel.MAY);
        assertThat(selfSigned.encrypted()).isTrue();
        assertThat(selfSigned.authenticated()).isFalse();
        assertThat(mail).containsExactly(1, 1);

        JsonNode p = report("testing.test").get(0);
        assertThat(p.at("/policy/policy-string/1").asText()).isEqualTo("mode: testing");
        assertThat(p.at("/summary/total-successful-session-count").asInt()).isEqualTo(1);
        assertThat(p.at("/summary/total-failure-session-count").asInt()).isEqualTo(1);
        assertThat(resultTypes(p)).containsExactly("certificate-not-trusted");

        // A host the testing policy does not list: delivered at the level, not counted.
        publish("unlisted.test", "testing", "mx.elsewhere.test");
        assertThat(delivered(send("unlisted.test", GOOD, MxTlsLevel.DANE, mail), "unlisted.test").level())
                .isEqualTo(MxTlsLevel.MAY);
        assertThat(reporting.policyDomains()).containsExactly("testing.test");
    }

    @Test
    void aPolicyThatCannotBeFetchedIsNoPolicyAndEverySessionCountsAsAFetchError() throws Exception {
        List<Integer> mail = new ArrayList<>();
        dns.txt("_mta-sts.unfetched.test", 60, "v=STSv1; id=1;"); // announced, but the server answers 404
        MxTlsStatus s = delivered(send("unfetched.test", TestPki.selfSigned(), MxTlsLevel.DANE, mail),
                "unfetched.test");
        assertThat(s.level()).isEqualTo(MxTlsLevel.MAY);
        assertThat(s.source()).isEqualTo(MxTlsStatus.Source.NONE);
        assertThat(mail).containsExactly(1);
        JsonNode p = report("unfetched.test").get(0);
        assertThat(p.at("/policy/policy-type").asText()).isEqualTo("sts");
        assertThat(p.at("/summary/total-failure-session-count").asInt()).isEqualTo(1);
        assertThat(resultTypes(p)).containsExactly("sts-policy-fetch-error");
    }

    @Test
    void withoutAPolicySessionsAreReportedAsNoPolicyFound() throws Exception {
        List<Integer> mail = new ArrayList<>();
        assertThat(delivered(send("plain.test", GOOD, MxTlsLevel.DANE, mail), "plain.test").encrypted()).isTrue();
        assertThat(delivered(send("plain.test", null, MxTlsLevel.DANE, mail), "plain.test").encrypted()).isFalse();
        assertThat(send("plain.test", TestPki.expiredFor("mx.plain.test"), MxTlsLevel.VERIFY, mail))
                .isInstanceOf(SmtpTlsException.class);
        assertThat(mail).containsExactly(1, 1, 0);
        JsonNode p = report("plain.test").get(0);
        assertThat(p.at("/policy/policy-type").asText()).isEqualTo("no-policy-found");
        assertThat(p.at("/summary/total-successful-session-count").asInt()).isEqualTo(1);
        assertThat(p.at("/summary/total-failure-session-count").asInt()).isEqualTo(2);
        assertThat(resultTypes(p)).containsExactlyInAnyOrder("starttls-not-supported", "certificate-expired");
    }

    @Test
    void daneTakesPrecedenceOverAnEnforcedPolicyAndIsReportedAsTlsa() throws Exception {
        List<Integer> mail = new ArrayList<>();
        mx.close();
        mx = DnsMxResolver.builder(loops.next()).nameServers(dns.address()).queryTimeout(Duration.ofMillis(500))
                .trustAuthenticatedData(true).build();
        dns.authenticData(true);
        publish("enforce.test", "enforce", "*.elsewhere.test");
        byte[] spki = MessageDigest.getInstance("SHA-256").digest(GOOD.certificate().getPublicKey().getEncoded());
        byte[] other = MessageDigest.getInstance("SHA-256").digest(TestPki.selfSigned().certificate().getPublicKey()
                .getEncoded());
        try (StartTlsMxServer server = StartTlsMxServer.offering(TestPki.serverContext(GOOD))) {
            String tlsa = "_" + server.port() + "._tcp.mx.enforce.test";
            dns.tlsa(tlsa, 3, 1, 1, spki, 60);
            MxTlsStatus s = delivered(sendVia("enforce.test", server, MxTlsLevel.DANE, mail), "enforce.test");
            assertThat(s.level()).isEqualTo(MxTlsLevel.DANE);
            dns.remove(tlsa).tlsa(tlsa, 3, 1, 1, other, 60);
            mx.close();
            mx = DnsMxResolver.builder(loops.next()).nameServers(dns.address()).queryTimeout(Duration.ofMillis(500))
                    .trustAuthenticatedData(true).build();
            assertThat(sendVia("enforce.test", server, MxTlsLevel.DANE, mail)).isInstanceOf(SmtpTlsException.class);
        }
        assertThat(mail).containsExactly(1, 1);
        JsonNode policies = report("enforce.test");
        assertThat(policies).hasSize(2);
        assertThat(policies.get(0).at("/policy/policy-type").asText()).isEqualTo("tlsa");
        assertThat(policies.get(0).at("/policy/policy-string/0").asText())
                .isEqualTo("3 1 1 " + HexFormat.of().formatHex(spki));
        assertThat(policies.get(0).at("/policy/mx-host/0").asText()).isEqualTo("mx.enforce.test");
        assertThat(policies.get(0).at("/summary/total-successful-session-count").asInt()).isEqualTo(1);
        assertThat(resultTypes(policies.get(1))).containsExactly("tlsa-invalid");
    }

    private static List<String> resultTypes(JsonNode policy) {
        List<String> types = new ArrayList<>();
        for (JsonNode d : policy.path("failure-details")) {
            assertThat(d.get("failed-session-count").asInt()).isEqualTo(1);
            types.add(d.get("result-type").asText());
        }
        return types;
    }
}
