package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.mime.Parsed;
import io.reactivesmtp.testing.DkimTestKeys;
import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.testing.SubethaSmtpServer.ReceivedMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.james.mime4j.dom.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bulk} composing its message from --subject, --text, --html, --attach and --list-unsubscribe: one message per
 * recipient with that recipient in its To and a Message-ID of its own, every part decoding to its file; and every
 * mistake in those options a usage error naming the option, before any connection.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkComposeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TEXT = "Grüße, reader\n.a line with a dot\n--not a boundary\n";
    private static final String HTML = "<p>Gr&uuml;&szlig;e</p>\n";

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void eachRecipientGetsItsOwnMessageWithEveryPartIntact() throws Exception {
        List<String> readers = List.of("ann@example.com", "bob@example.org", "nobody@example.net", "cy@example.com");
        Path recipients = file("recipients.txt", "# list\n" + String.join("\n", readers) + "\n");
        byte[] pdf = new byte[200_000];
        new SplittableRandom(15).nextBytes(pdf);
        Path attachment = Files.write(dir.resolve("report.pdf"), pdf);
        Path csv = file("data.csv", "a,b\r\n1,2\n");
        Path report = dir.resolve("report.jsonl");
        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user").start()) {
            BulkCommandTest.Run run = BulkCommandTest.run("--server", "127.0.0.1:" + server.port(), "--tls", "none",
                    "--from", "news@example.com", "--recipients", recipients.toString(),
                    "--subject", "Grüße von der Liste", "--text", file("body.txt", TEXT).toString(),
                    "--html", file("body.html", HTML).toString(), "--attach", attachment.toString(),
                    "--attach", csv.toString(), "--list-unsubscribe", "https://example.com/u?list=7",
                    "--list-unsubscribe", "mailto:unsubscribe@example.com", "--report", report.toString());
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
            assertThat(BulkCommandTest.reportLines(report)).hasSize(4);

            List<ReceivedMessage> received = server.awaitMessages(3, WAIT);
            assertThat(received).hasSize(3);
            Set<String> ids = new HashSet<>();
            for (ReceivedMessage m : received) {
                assertThat(m.recipients()).hasSize(1);
                String rcpt = m.recipients().get(0);
                Message parsed = Parsed.mime4j(m.data());
                assertThat(parsed.getTo().flatten()).extracting(a -> a.getAddress()).containsExactly(rcpt);
                assertThat(parsed.getFrom().get(0).getAddress()).isEqualTo("news@example.com");
                assertThat(parsed.getSubject()).isEqualTo("Grüße von der Liste");
                ids.add(parsed.getMessageId());
                String head = new String(m.data(), StandardCharsets.UTF_8).replace("\r\n ", " ");
                assertThat(head).contains(
                        "List-Unsubscribe: <https://example.com/u?list=7>, <mailto:unsubscribe@example.com>\r\n",
                        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
                List<Parsed.Leaf> leaves = Parsed.mime4jLeaves(m.data());
                assertThat(leaves).extracting(Parsed.Leaf::type).containsExactly("text/plain", "text/html",
                        "application/pdf", "text/csv");
                assertThat(leaves.get(0).bytes()).isEqualTo(crlf(TEXT));
                assertThat(leaves.get(1).bytes()).isEqualTo(crlf(HTML));
                assertThat(leaves.get(2).fileName()).isEqualTo("report.pdf");
                assertThat(leaves.get(2).bytes()).isEqualTo(pdf);
                assertThat(leaves.get(3).fileName()).isEqualTo("data.csv");
                assertThat(leaves.get(3).bytes()).isEqualTo(Files.readAllBytes(csv));
            }
            assertThat(received).extracting(m -> m.recipients().get(0))
                    .containsExactlyInAnyOrder("ann@example.com", "bob@example.org", "cy@example.com");
            assertThat(ids).as("a Message-ID per message").hasSize(3);
        }
    }

    @Test
    void composedMessagesAreSignedWithTheUnsubscribeHeadersInTheSignature() throws Exception {
        Path key = DkimTestKeys.ed25519Pkcs8(dir.resolve("ed.pem"));
        Path recipients = file("recipients.txt", "ann@example.com\nbob@example.com\n");
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            BulkCommandTest.Run run = BulkCommandTest.run("--server", "127.0.0.1:" + server.port(), "--tls", "none",
                    "--from", "news@example.com", "--recipients", recipients.toString(), "--subject", "signed",
                    "--text", file("body.txt", "Hello\n").toString(),
                    "--list-unsubscribe", "https://example.com/u?list=7",
                    "--dkim-key", key.toString(), "--dkim-selector", "ed", "--dkim-domain", "example.com");
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            for (ReceivedMessage m : server.awaitMessages(2, WAIT)) {
                String data = m.dataAsString().replace("\r\n ", " ").replace("\r\n\t", " ");
                List<String> signatures = data.lines().filter(l -> l.startsWith("DKIM-Signature:")).toList();
                assertThat(signatures).hasSize(1);
                assertThat(signatures.get(0).replace(" ", "").toLowerCase())
                        .contains("list-unsubscribe:list-unsubscribe-post").contains("d=example.com");
                assertThat(data).contains("To: " + m.recipients().get(0) + "\r\n");
            }
        }
    }

    @Test
    void mistakesAreUsageErrorsNamingTheOptionBeforeAnyConnection() throws Exception {
        Path recipients = file("recipients.txt", "ann@example.com\n");
        Path text = file("body.txt", "Hello\n");
        Path body = file("message.eml", "From: news@example.com\r\n\r\nhi\r\n");
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String server = "127.0.0.1:" + listener.getLocalPort();
            List<String> common = List.of("--server", server, "--tls", "none", "--from", "news@example.com",
                    "--recipients", recipients.toString());
            assertUsage(common, "--body and the compose options", "--body", body.toString(), "--subject", "x");
            assertUsage(common, "--attach: ", "--text", text.toString(), "--attach",
                    dir.resolve("gone.pdf").toString());
            assertUsage(common, "gone.pdf", "--text", text.toString(), "--attach",
                    dir.resolve("gone.pdf").toString());
            assertUsage(common, "--text: ", "--text", dir.resolve("missing.txt").toString());
            assertUsage(common, "missing.txt", "--text", dir.resolve("missing.txt").toString());
            assertUsage(common, "--html: ", "--html", dir.toString());
            assertUsage(common, "--list-unsubscribe: ", "--text", text.toString(), "--list-unsubscribe",
                    "http://example.com/u");
            assertUsage(common, "--subject: ", "--subject", "bad\rsubject", "--text", text.toString());
            assertUsage(common, "--per-message 5: ", "--text", text.toString(), "--per-message", "5");
            assertUsage(common, "no message: give --body FILE, or compose one");
            listener.setSoTimeout(300);
            try {
                listener.accept().close();
                throw new AssertionError("a usage error connected to the server");
            } catch (SocketTimeoutException expected) {
                // Nobody connected: every mistake was found before anything was started.
            }
        }
    }

    private static void assertUsage(List<String> common, String expected, String... more) {
        String[] args = java.util.stream.Stream.concat(common.stream(), java.util.Arrays.stream(more))
                .toArray(String[]::new);
        BulkCommandTest.Run run = BulkCommandTest.run(args);
        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).as(run.toString()).contains(expected);
        assertThat(run.out()).as(run.toString()).doesNotContain("->");
    }

    private static byte[] crlf(String text) {
        return text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
