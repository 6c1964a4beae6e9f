package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C (SIGINT) to the packaged {@code bulk --report FILE} in the middle of a run: it takes no new message,
 * lets those in flight finish, writes their lines and prints its summary. Unlike a SIGKILL
 * ({@link BulkKillJarIT}), nothing is in flight at the end: the recipients the server took are exactly those the
 * report calls accepted.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkInterruptJarIT {

    private static final Pattern ACCEPTED = Pattern.compile(
            "\\{\"address\": \"([^\"]+)\", \"line\": \\d+, \"status\": \"ACCEPTED\"");
    private static final Pattern SUMMARY_EXIT = Pattern.compile("exit status (\\d+)");

    @TempDir
    Path dir;

    @Test
    void sigintMidRunDrainsAndReportsEveryDelivery() throws Exception {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            file.append("reader").append(i).append("@example.com\n");
        }
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), file);
        Path body = Files.writeString(dir.resolve("message.eml"), "From: news@example.com\r\nSubject: stop\r\n\r\nHi.\r\n");
        Path report = dir.resolve("report.jsonl");
        try (BulkKillJarIT.CountingServer server = new BulkKillJarIT.CountingServer(Duration.ofMillis(40))) {
            PackagedCli.Running bulk = new PackagedCli(dir).command("bulk", "--server", "127.0.0.1:" + server.port(),
                    "--tls", "none", "--from", "news@example.com", "--recipients", recipients.toString(),
                    "--body", body.toString(), "--per-message", "2", "--concurrency", "4",
                    "--report", report.toString()).start();
            PackagedCli.awaitFile(report, lines -> lines.size() >= 25, Duration.ofSeconds(120));
            assertThat(bulk.isAlive()).as("the run must still be going when it is interrupted").isTrue();
            bulk.interrupt();
            PackagedCli.Result end = bulk.awaitExit(Duration.ofSeconds(60));

            Set<String> reported = new HashSet<>();
            for (String line : Files.readAllLines(report)) {
                Matcher m = ACCEPTED.matcher(line);
                while (m.find()) {
                    reported.add(m.group(1));
                }
            }
            Map<String, Integer> delivered = server.counts();
            Matcher summaryExit = SUMMARY_EXIT.matcher(end.out());
            String printed = summaryExit.find() ? summaryExit.group(1) : "none";
            System.out.printf("BulkInterruptJarIT: SIGINT after 25 report lines: %d recipients delivered, %d accepted "
                    + "in the report, process exit %d, summary says exit status %s%n",
                    delivered.size(), reported.size(), end.code(), printed);

            assertThat(end.err()).as(end.toString()).contains("interrupted: taking no new messages");
            assertThat(end.out()).as(end.toString()).contains("bulk: interrupted in ");
            assertThat(delivered.size()).as("stopped before the end").isLessThan(600);
            assertThat(delivered.values()).as("nobody twice").allMatch(n -> n == 1);
            assertThat(reported).as("every delivery in the report, nothing else")
                    .containsExactlyInAnyOrderElementsOf(delivered.keySet());
            assertThat(List.of(Integer.toString(end.code()))).as("the process's exit status is the one the summary "
                    + "prints\n" + end).containsExactly(printed);
        }
    }
}
