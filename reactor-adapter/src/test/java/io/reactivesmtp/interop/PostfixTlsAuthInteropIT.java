package io.reactivesmtp.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.Credentials;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpAuthenticationException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.TlsProvider;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TLS and AUTH against a real Postfix: STARTTLS + AUTH PLAIN, LOGIN and CRAM-MD5 on the submission port,
 * implicit TLS, both TLS providers, and the refusals (wrong password, TLS required where none is offered,
 * a certificate from a CA the client does not trust).
 */
class PostfixTlsAuthInteropIT {

    private static final Duration BLOCK = Duration.ofSeconds(60);
    private static final Duration DELIVERY = Duration.ofSeconds(30);

    private static PostfixInstance postfix;

    @BeforeAll
    static void findPostfix() {
        postfix = PostfixInstance.fromSystemProperties();
    }

    private static SmtpClient client(int port, SmtpSessionOptions session) {
        // "localhost": the name on Postfix's certificate, verified by the client.
        return SmtpClient.create(SmtpClientOptions.builder().relay(postfix.serverName(), port).session(session).build());
    }

    private static SmtpSessionOptions.Builder session(TlsPolicy policy, TlsProvider provider) {
        return SmtpSessionOptions.builder()
                .tls(TlsOptions.builder().policy(policy).trustPem(postfix.caFile()).provider(provider).build())
                .allTimeouts(Duration.ofSeconds(30));
    }

    private static Credentials alice(String mechanism) {
        return Credentials.password(postfix.saslUser(), postfix.saslPassword()).withMechanism(mechanism);
    }

    private static String message(String token) {
        return "From: sender@example.com\r\nTo: dest@example.com\r\nSubject: " + token + "\r\n"
                + "Message-ID: <" + token + "@reactivesmtp.test>\r\n\r\nsent over TLS with AUTH\r\n.dot line\r\n";
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"PLAIN, OPENSSL", "LOGIN, JDK", "CRAM-MD5, OPENSSL", "PLAIN, JDK"})
    void startTlsThenAuthOnTheSubmissionPortDelivers(String mechanism, TlsProvider provider) throws Exception {
        String token = "tls-auth-" + UUID.randomUUID();
        SendReport report = client(postfix.submissionPort(),
                session(TlsPolicy.REQUIRED, provider).credentials(alice(mechanism)).build())
                .send(Envelope.of("sender@example.com", "dest@example.com"), MessageContent.of(message(token)))
                .block(BLOCK);
        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
        TlsInfo tls = report.tls().orElseThrow();
        // Both ends offer TLSv1.3 (the client's default protocols, Postfix on OpenSSL 3): it is always chosen.
        assertThat(tls.protocol()).isEqualTo("TLSv1.3");
        assertThat(tls.provider()).isEqualTo(provider.name());
        assertThat(report.capabilities().orElseThrow().authMechanisms()).contains(mechanism);
        // Only after TLS does this port offer AUTH: the capabilities are the post-TLS ones.
        assertThat(report.capabilities().orElseThrow().startTls()).isFalse();

        List<Path> copies = postfix.awaitDelivered(token, 1, DELIVERY);
        String stored = Files.readString(copies.get(0), StandardCharsets.UTF_8);
        assertThat(stored).contains("Subject: " + token).contains("\n.dot line\n").contains("ESMTPSA");
    }

    @Test
    void implicitTlsWithAuthDelivers() throws Exception {
        String token = "implicit-" + UUID.randomUUID();
        SendReport report = client(postfix.implicitTlsPort(),
                session(TlsPolicy.IMPLICIT, TlsProvider.AUTO).credentials(alice("PLAIN")).build())
                .send(Envelope.of("sender@example.com", "dest@example.com"), MessageContent.of(message(token)))
                .block(BLOCK);
        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
        assertThat(report.tls()).isPresent();
        postfix.awaitDelivered(token, 1, DELIVERY);
    }

    @Test
    void aWrongPasswordIsOneNonRetryableAuthenticationError() {
        Credentials wrong = Credentials.password(postfix.saslUser(), "not-the-password");
        Throwable error = catchThrowable(() -> client(postfix.submissionPort(),
                session(TlsPolicy.REQUIRED, TlsProvider.AUTO).credentials(wrong).build())
                .send(Envelope.of("sender@example.com", "dest@example.com"), MessageContent.of(message("x")))
                .block(BLOCK));
        assertThat(error).isInstanceOf(SmtpAuthenticationException.class);
        assertThat(((SmtpAuthenticationException) error).reply().orElseThrow().code()).isEqualTo(535);
        assertThat(((SmtpException) error).isRetryable()).isFalse();
        assertThat(error.getMessage()).doesNotContain("not-the-password");
    }

    @Test
    void requiredTlsAgainstThePlainPortSendsNothing() {
        Throwable error = catchThrowable(() -> client(postfix.plainPort(),
                session(TlsPolicy.REQUIRED, TlsProvider.AUTO).build())
                .send(Envelope.of("sender@example.com", "dest@example.com"), MessageContent.of(message("x")))
                .block(BLOCK));
        assertThat(error).isInstanceOf(SmtpTlsException.class).hasMessageContaining("does not offer STARTTLS");
    }

    @Test
    void aServerCertificateFromAnUntrustedCaIsRefused() {
        SmtpSessionOptions jdkTrustOnly = SmtpSessionOptions.builder()
                .tls(TlsOptions.builder().policy(TlsPolicy.REQUIRED).build()).allTimeouts(Duration.ofSeconds(30)).build();
        Throwable error = catchThrowable(() -> client(postfix.startTlsPort(), jdkTrustOnly)
                .send(Envelope.of("sender@example.com", "dest@example.com"), MessageContent.of(message("x")))
                .block(BLOCK));
        assertThat(error).isInstanceOf(SmtpTlsException.class);
    }
}
