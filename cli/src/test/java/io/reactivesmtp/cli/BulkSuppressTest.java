package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bulk --suppress FILE} against a SubEthaSMTP server on 127.0.0.1 that records every RCPT: suppressed
 * recipients never reach the server, are counted in the summary and written to the report, and a bad list stops the
 * run before anything is sent.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkSuppressTest {

    private static final String MESSAGE = "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> lines(Path report, String key) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(report)) {
            Map<String, Object> m = (Map<String, Object>) TestJson.parse(line);
            if (m.containsKey(key)) {
                out.add(m);
            }
        }
        return out;
    }

    @Test
    void suppressedRecipientsAreNeverSentToAndAreCountedAndReported() throws IOException {
        Path recipients = file("recipients.txt", String.join("\n", "a@example.com", "Gone@Example.org",
                "b@example.com", "complainer@example.net", "c@example.com") + "\n");
        // As bounces writes it: a comment, then addresses; the case differs from the recipients file.
        Path list = file("suppress.txt", "# reactive-smtp bounces: ...\ngone@example.org\n\ncomplainer@example.net\n");
        Path report = dir.resolve("report.jsonl");
        try (BulkCommandTest.CountingServer server = new BulkCommandTest.CountingServer()) {
            BulkCommandTest.Run run = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    recipients.toString(), "--body", file("m.eml", MESSAGE).toString(), "--server", server.address(),
                    "--tls", "none", "--suppress", list.toString(), "--report", report.toString());

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).containsExactlyInAnyOrder("a@example.com", "b@example.com", "c@example.com");
            assertThat(run.out()).contains("2 address(es) suppressed by " + list,
                    "5 line(s) read, 0 bad line(s) skipped, 2 suppressed (in " + list + ")", "3: 3 accepted");
            assertThat(lines(report, "suppressed")).extracting(l -> l.get("suppressed")).containsExactly(
                    Map.of("address", "Gone@Example.org", "line", 2L),
                    Map.of("address", "complainer@example.net", "line", 4L));
            assertThat(lines(report, "end")).singleElement().satisfies(l -> assertThat(l.get("end").toString())
                    .contains("suppressed=2"));

            BulkCommandTest.Run json = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    recipients.toString(), "--body", file("m2.eml", MESSAGE).toString(), "--server",
                    server.address(), "--tls", "none", "--suppress", list.toString(), "--json");
            assertThat(DemoCommandTest.json(json.out())).containsEntry("suppressed", 2L);
        }

        // A retry from that report sends to nobody suppressed, even without --suppress.
        try (BulkCommandTest.CountingServer server = new BulkCommandTest.CountingServer()) {
            BulkCommandTest.Run retry = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    recipients.toString(), "--body", file("m3.eml", MESSAGE).toString(), "--server", server.address(),
                    "--tls", "none", "--retry-from", report.toString());
            assertThat(retry.code()).as(retry.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).isEmpty();
            assertThat(retry.out()).contains("5 skipped");
        }
    }

    @Test
    void whenEveryRecipientIsSuppressedNothingIsSentAndTheRunSucceeds() throws IOException {
        try (BulkCommandTest.CountingServer server = new BulkCommandTest.CountingServer()) {
            BulkCommandTest.Run run = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    file("r.txt", "x@example.com\n").toString(), "--body", file("m.eml", MESSAGE).toString(),
                    "--server", server.address(), "--tls", "none", "--suppress",
                    file("s.txt", "X@EXAMPLE.COM\n").toString());
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).isEmpty();
            assertThat(server.messages.get()).isZero();
        }
    }

    @Test
    void aBadSuppressionListIsAUsageErrorNamingItsLineAndNothingIsSent() throws IOException {
        try (BulkCommandTest.CountingServer server = new BulkCommandTest.CountingServer()) {
            Path recipients = file("r.txt", "x@example.com\n");
            Path bad = file("s.txt", "# list\nok@example.com\nnot an address\n");
            BulkCommandTest.Run run = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    recipients.toString(), "--body", file("m.eml", MESSAGE).toString(), "--server", server.address(),
                    "--tls", "none", "--suppress", bad.toString());
            assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).contains("--suppress: " + bad + ":3: not an address");

            Path missing = dir.resolve("missing.txt");
            BulkCommandTest.Run none = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    recipients.toString(), "--body", file("m2.eml", MESSAGE).toString(), "--server", server.address(),
                    "--tls", "none", "--suppress", missing.toString());
            assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(none.err()).contains("--suppress: " + missing + " is not a readable file");

            Path binary = Files.write(dir.resolve("bin.txt"), new byte[] {'a', '@', 'b', '.', 'c', '\n', (byte) 0xff,
                '\n'});
            BulkCommandTest.Run notText = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    recipients.toString(), "--body", file("m3.eml", MESSAGE).toString(), "--server", server.address(),
                    "--tls", "none", "--suppress", binary.toString());
            assertThat(notText.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(notText.err()).contains("--suppress: " + binary + ":2: not UTF-8 text");
            assertThat(server.rcpts).isEmpty();
        }
    }

    @Test
    void theListBouncesWritesIsTheListBulkTakes() throws IOException {
        Path maildir = dir.resolve("Maildir");
        Files.createDirectories(maildir.resolve("new"));
        Files.writeString(maildir.resolve("new/1"), BouncesCommandTest.sample("postfix-unknown-user.eml"));
        Files.writeString(maildir.resolve("new/2"), BouncesCommandTest.sample("yahoo-arf-complaint.eml"));
        Path list = dir.resolve("suppress.txt");
        assertThat(BouncesCommandTest.run(maildir.toString(), "--output", dir.resolve("b.jsonl").toString(),
                "--suppression-list", list.toString()).code()).isEqualTo(ExitCodes.OK);

        try (BulkCommandTest.CountingServer server = new BulkCommandTest.CountingServer()) {
            BulkCommandTest.Run run = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                    file("r.txt", "unknown@users.test\nfresh@example.com\ngrace@yahoo.example\n").toString(),
                    "--body", file("m.eml", MESSAGE).toString(), "--server", server.address(), "--tls", "none",
                    "--suppress", list.toString());
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).containsExactly("fresh@example.com");
        }
    }
}
