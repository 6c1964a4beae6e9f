package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertThat(normalise(readmeBlock(2))).isEqualTo(normalise(testExample()));
    }

    /** The n-th ```java block of the README (1-based). */
    static String readmeBlock(int n) throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int start = -1;
        for (int i = 0; i < n; i++) {
            start = readme.indexOf("```java\n", start + 1);
            assertThat(start).as("README has %d ```java blocks", n).isNotNegative();
        }
        return readme.substring(start + 8, readme.indexOf("```", start + 8));
    }

    private static String testExample() throws IOException {
        String source = Files.readString(Path.of("src/test/java/io/reactivesmtp/reactor/ReadmeBulkExampleTest.java"),
                StandardCharsets.UTF_8);
        int start = source.indexOf('\n', source.indexOf("// README-BEGIN")) + 1;
        return source.substring(start, source.indexOf("// README-END"))
                .replace("printed.add(", "System.out.println(")
                .replace("\"127.0.0.1\", port)", "\"127.0.0.1\", 2525)");
    }

    private static String normalise(String code) {
        StringBuilder sb = new StringBuilder();
        for (String line : code.split("\n")) {
            if (!line.isBlank()) {
                sb.append(line.strip()).append('\n');
            }
        }
        return sb.toString();
    }
}
