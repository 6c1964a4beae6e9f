package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpContentException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.dkim.DkimCanonicalization;
import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.testing.DkimTestKeys;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;

/**
 * {@link SmtpClientOptions.Builder#dkim}: every message the client sends arrives with the client's signatures
 * in front (the signatures themselves are checked by an independent verifier in core's DkimVerifyInteropIT).
 */
class SmtpClientDkimTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);

    private static final DkimSigner RSA = DkimSigner.builder().key(DkimTestKeys.rsa().getPrivate())
            .domain("example.com").selector("rsa").clock(CLOCK).build();
    private static final DkimSigner ED25519 = DkimSigner.builder().key(DkimTestKeys.ed25519().getPrivate())
            .domain("example.com").selector("ed").clock(CLOCK)
            .canonicalization(DkimCanonicalization.SIMPLE, DkimCanonicalization.SIMPLE).build();

    private static SmtpClient client(SubethaSmtpServer server, DkimSigner... signers) {
        return SmtpClient.create(SmtpClientOptions.builder()
                .relay("127.0.0.1", server.port())
                .session(SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build())
                .dkim(signers)
                .build());
    }

    private static String message(int i) {
        return "From: news@example.com\r\nTo: reader" + i + "@example.org\r\nSubject: Issue " + i + "\r\n\r\n"
                + "Hello reader " + i + "\r\n";
    }

    @Test
    void sendSignsWithEveryClientSignerInOrder() {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            SmtpClient client = client(server, RSA, ED25519);
            try {
                assertThat(client.send(Envelope.of("news@example.com", "r@example.org"), MessageContent.of(message(1)))
                        .block(WAIT).outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            } finally {
                client.disposeLater().block(WAIT);
            }
            byte[] m = message(1).getBytes(StandardCharsets.US_ASCII);
            assertThat(server.awaitMessages(1, WAIT).get(0).dataAsString())
                    .isEqualTo(RSA.sign(m) + ED25519.sign(m) + message(1));
        }
    }

    @Test
    void sendAllSignsEachMessageAndAddsToContentSignedByTheCaller() {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            SmtpClient client = client(server, RSA);
            try {
                List<MessageResult> results = client.sendAll(Flux.range(1, 5).map(i -> OutgoingMessage.of(i,
                        Envelope.of("news@example.com", "reader" + i + "@example.org"),
                        i == 5 ? MessageContent.of(message(i)).signedWith(ED25519) : MessageContent.of(message(i)))))
                        .collectList().block(WAIT);
                assertThat(results).hasSize(5).allSatisfy(r ->
                        assertThat(r.report().orElseThrow().outcome()).isEqualTo(SendReport.Outcome.DELIVERED));
            } finally {
                client.disposeLater().block(WAIT);
            }
            List<SubethaSmtpServer.ReceivedMessage> received = server.awaitMessages(5, WAIT);
            for (SubethaSmtpServer.ReceivedMessage r : received) {
                String text = r.dataAsString();
                int i = Integer.parseInt(text.replaceAll("(?s).*Hello reader (\\d+).*", "$1"));
                byte[] m = message(i).getBytes(StandardCharsets.US_ASCII);
                String expected = (i == 5 ? ED25519.sign(m) + RSA.sign(m) : RSA.sign(m)) + message(i);
                assertThat(text).isEqualTo(expected);
            }
        }
    }

    @Test
    void aMessageThatCannotBeSignedFailsAloneWithAContentError() {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            SmtpClient client = client(server, RSA);
            try {
                MessageContent noFrom = MessageContent.of("Subject: no From\r\n\r\nbody\r\n");
                assertThatThrownBy(() -> client.send(Envelope.of("news@example.com", "r@example.org"), noFrom)
                        .block(WAIT)).isInstanceOf(SmtpContentException.class).hasMessageContaining("no From: header");
                List<MessageResult> results = client.sendAll(Flux.range(1, 3).map(i -> OutgoingMessage.of(i,
                        Envelope.of("news@example.com", "reader" + i + "@example.org"),
                        i == 2 ? noFrom : MessageContent.of(message(i))))).collectList().block(WAIT);
                assertThat(results).hasSize(3);
                for (MessageResult r : results) {
                    if (r.id().equals(2)) {
                        assertThat(r.error()).get().isInstanceOf(SmtpContentException.class);
                    } else {
                        assertThat(r.report().orElseThrow().outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
                    }
                }
            } finally {
                client.disposeLater().block(WAIT);
            }
            assertThat(server.awaitMessages(2, WAIT)).hasSize(2);
        }
    }

    @ParameterizedTest(name = "maxAttempts={0}")
    @ValueSource(ints = {1, 3})
    void messagesThatCannotBeSignedGiveBackTheirInFlightSlot(int maxAttempts) {
        // One slot: had a refused message kept it, the next message would never be requested.
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay("127.0.0.1", server.port())
                    .session(SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build())
                    .dkim(RSA)
                    .maxInFlight(1)
                    .retry(RetryPolicy.builder().maxAttempts(maxAttempts).firstBackoff(Duration.ofMillis(10)).build())
                    .build());
            try {
                MessageContent noFrom = MessageContent.of("Subject: no From\r\n\r\nbody\r\n");
                List<MessageResult> results = client.sendAll(Flux.range(1, 4).map(i -> OutgoingMessage.of(i,
                        Envelope.of("news@example.com", "reader" + i + "@example.org"),
                        i < 4 ? noFrom : MessageContent.of(message(i))))).collectList().block(Duration.ofSeconds(10));
                assertThat(results).hasSize(4);
                assertThat(results).filteredOn(r -> r.error().isPresent()).hasSize(3)
                        .allSatisfy(r -> assertThat(r.error()).get().isInstanceOf(SmtpContentException.class));
            } finally {
                client.disposeLater().block(WAIT);
            }
            assertThat(server.awaitMessages(1, WAIT)).hasSize(1);
        }
    }

    @Test
    void noSignersByDefault() {
        assertThat(SmtpClientOptions.builder().relay("127.0.0.1", 25).build().dkim()).isEmpty();
        SmtpClientOptions options = SmtpClientOptions.builder().relay("127.0.0.1", 25).dkim(RSA).build();
        assertThat(options.mutate().build().dkim()).containsExactly(RSA);
    }
}
