package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unknown outcomes in {@code bulk}: only a message whose final dot went out without a reply is
 * {@code UNKNOWN_AFTER_DATA}; a refusal before it (a 421 greeting) is transient; {@code --retry-from} resends the
 * transient ones, skips the unknown ones and says how many, and resends those too with {@code --retry-unknown}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkUnknownOutcomeTest {

    private static final String MESSAGE = "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";

    @TempDir
    Path dir;

    /** Takes the whole message, then closes the connection instead of answering the final dot. */
    private static Script cutAfterTheDot() {
        return Script.create()
                .send("220 cut.test ESMTP")
                .expectMatching("EHLO \\S+")
                .send("250-cut.test", "250 PIPELINING")
                .expectMatching("MAIL FROM:.*")
                .expectMatching("RCPT TO:.*")
                .expect("DATA")
                .send("250 2.1.0 ok", "250 2.1.5 ok", "354 go on")
                .expectData()
                .close();
    }

    private static Script refusedAtGreeting() {
        return Script.create().send("421 4.7.0 too many connections from your address").close();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> lastResults(Path report) throws IOException {
        return BulkCommandTest.reportLines(report).stream()
                .flatMap(l -> ((List<Map<String, Object>>) l.get("recipients")).stream())
                .collect(Collectors.toMap(r -> (String) r.get("address"), r -> r, (a, b) -> b));
    }

    private String[] args(Path recipients, Path body, String server, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("--from", "news@example.com", "--recipients",
                recipients.toString(), "--body", body.toString(), "--server", server, "--tls", "none"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void unknownOutcomesAreReportedApartAndResentOnlyWithRetryUnknown() throws IOException {
        Path body = Files.writeString(dir.resolve("m.eml"), MESSAGE);
        Path report = dir.resolve("report.jsonl");
        Path cutList = Files.writeString(dir.resolve("cut.txt"), "u1@example.com\nu2@example.com\n");
        Path all = Files.writeString(dir.resolve("all.txt"), "u1@example.com\nu2@example.com\nt1@example.com\n");

        // 1. The dot went out, no reply came: unknown, not transient.
        try (ScriptedSmtpServer cut = ScriptedSmtpServer.start(cutAfterTheDot())) {
            BulkCommandTest.Run run = BulkCommandTest.run(args(cutList, body, "127.0.0.1:" + cut.port(),
                    "--report", report.toString(), "--concurrency", "1"));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(cut.dataCount()).as("both messages went out whole").isEqualTo(2);
            assertThat(run.out()).contains("2 sent: 0 delivered, 0 partial, 0 rejected, 0 failed, 2 unknown",
                    "0 transient (4xx), 2 unknown");
        }
        assertThat(BulkCommandTest.reportLines(report)).allSatisfy(l -> assertThat(l.get("outcome")).isEqualTo("UNKNOWN"));
        assertThat(lastResults(report).values()).allSatisfy(r -> {
            assertThat(r.get("status")).isEqualTo("UNKNOWN_AFTER_DATA");
            assertThat((String) r.get("text")).contains("outcome is unknown");
        });

        // 2. A 421 at the greeting: nothing was sent, so transient (with the server's reply), never unknown. The
        // unknown ones of the report are skipped, and the run says so.
        try (ScriptedSmtpServer busy = ScriptedSmtpServer.start(refusedAtGreeting())) {
            BulkCommandTest.Run run = BulkCommandTest.run(args(all, body, "127.0.0.1:" + busy.port(),
                    "--retry-from", report.toString(), "--report", report.toString()));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(busy.connectionCount()).isEqualTo(1);
            assertThat(run.err()).contains("2 recipient(s) with an unknown outcome (the message went out, no reply "
                    + "came): skipped; give --retry-unknown to send to them again");
            assertThat(run.out()).contains("skipping 2 recipients whose outcome is unknown",
                    "2 skipped (done in " + report + "), of which 2 with an unknown outcome",
                    "1: 0 accepted, 0 rejected (5xx), 1 transient (4xx), 0 unknown");
        }
        Map<String, Map<String, Object>> last = lastResults(report);
        assertThat(last.get("t1@example.com")).containsEntry("status", "TRANSIENT_FAILURE").containsEntry("code", 421L)
                .containsEntry("enhancedStatus", "4.7.0");
        assertThat(last.get("u1@example.com")).containsEntry("status", "UNKNOWN_AFTER_DATA");

        // 3. Without --retry-unknown only the transient one goes again.
        try (BulkCommandTest.CountingServer server = new BulkCommandTest.CountingServer()) {
            BulkCommandTest.Run run = BulkCommandTest.run(args(all, body, server.address(),
                    "--retry-from", report.toString()));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).containsExactly("t1@example.com");
            assertThat(run.err()).contains("2 recipient(s) with an unknown outcome");
        }

        // 4. With it, the unknown ones go too (and the user was warned they may get it twice).
        try (BulkCommandTest.CountingServer server = new BulkCommandTest.CountingServer()) {
            BulkCommandTest.Run run = BulkCommandTest.run(args(all, body, server.address(),
                    "--retry-from", report.toString(), "--retry-unknown"));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).containsExactlyInAnyOrder("u1@example.com", "u2@example.com", "t1@example.com");
            assertThat(run.err()).contains("warning: --retry-from " + report + ": 2 recipient(s) with an unknown "
                    + "outcome", "sent to again (--retry-unknown); they may get this message twice");
        }
    }

    @Test
    void retryUnknownWithoutRetryFromIsAUsageError() throws IOException {
        Path body = Files.writeString(dir.resolve("m.eml"), MESSAGE);
        Path list = Files.writeString(dir.resolve("r.txt"), "a@example.com\n");
        BulkCommandTest.Run run = BulkCommandTest.run(args(list, body, "127.0.0.1:1", "--retry-unknown"));
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--retry-unknown needs --retry-from");
    }
}
