package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * Keeps the README's bulk example honest: the README's second Java block is the code between the markers,
 * and this test runs it against a real server.
 */
class ReadmeBulkExampleTest {

    @Test
    void theBulkExampleRunsAndMatchesTheReadme() throws IOException {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            int port = server.port();
            List<String> printed = new ArrayList<>();

            // README-BEGIN
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay("127.0.0.1", port)
                    .session(SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(4).build())
                    .maxInFlight(50)
                    .build());

            Flux<OutgoingMessage> messages = Flux.range(1, 100).map(i -> OutgoingMessage.of(i,
                    Envelope.of("news@example.com", "reader" + i + "@example.org"),
                    MessageContent.of("Subject: Issue " + i + "\r\n\r\nHello reader " + i + "\r\n")));

            client.sendAll(messages)              // at most 50 in flight, 4 connections; results as they complete
                    .doOnNext(r -> printed.add(r.id() + " " + r.outcome()))
                    .blockLast(Duration.ofMinutes(5));
            client.dispose();                     // QUIT on the idle sessions
            // README-END

            assertThat(printed).hasSize(100).allMatch(line -> line.endsWith(" DELIVERED"));
            assertThat(server.awaitMessages(100, Duration.ofSeconds(10))).hasSize(100);
        }
        ReadmeBlocks.assertReadmeBlockIsTheCodeOf(2, ReadmeBulkExampleTest.class);
    }
}
