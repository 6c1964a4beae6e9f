package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The report file of {@code bulk}: its writer thread, its bound, and reading it back for {@code --retry-from}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkReportTest {

    @TempDir
    Path dir;

    private static List<BulkReport.Entry> accepted(String address, long line) {
        return List.of(new BulkReport.Entry(address, line, "ACCEPTED", 250, "2.0.0", "Ok"));
    }

    @Test
    void linesReachTheFileOnTheTimerAndTheBoundHoldsSendsBackUntilTheyDo() throws IOException, InterruptedException {
        Path file = dir.resolve("r.jsonl");
        BulkReport report = BulkReport.open(file, false, 4, Path.of("list.txt"), 1);
        try {
            int max = report.maxUnreported();
            assertThat(max).isEqualTo(4 + 2 * 8);
            // The run line is on disk before anything is sent.
            assertThat(Files.readAllLines(file)).singleElement().asString()
                    .startsWith("{\"run\": {\"started\": ").endsWith("\"recipients\": \"list.txt\", \"perMessage\": 1, "
                            + "\"maxUnreported\": " + max + "}}");
            // max messages handed out, none reported: the next one waits (here until giveUp says stop).
            assertThat(report.awaitRoom(max - 1, () -> false)).isTrue();
            long start = System.nanoTime();
            assertThat(report.awaitRoom(max, () -> System.nanoTime() - start > 200_000_000L)).isFalse();

            for (int i = 1; i <= 3; i++) {
                report.add(i, "DELIVERED", accepted("u" + i + "@example.com", i), null);
            }
            // Fewer than a batch: flushed by the timer.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (report.behind() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(report.behind()).isZero();
            assertThat(Files.readAllLines(file)).hasSize(4);
            assertThat(report.awaitRoom(max, () -> false)).isTrue();
            report.finish(0, 3, 0, 0);
        } finally {
            report.close();
        }
        assertThat(Files.readAllLines(file)).hasSize(5).last().isEqualTo(
                "{\"end\": {\"exitStatus\": 0, \"messages\": 3, \"abandoned\": 0, \"suppressed\": 0}}");
        StringWriter err = new StringWriter();
        PreviousReport previous = PreviousReport.read(file, new PrintWriter(err, true), "bulk");
        assertThat(previous.skip()).containsExactlyInAnyOrder("u1@example.com", "u2@example.com", "u3@example.com");
        assertThat(previous.killed()).isFalse();
        assertThat(previous.mayRepeat()).isZero();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aRunKilledMidLineLeavesATornLineThatRetryFromWarnsAboutAndABoundOnWhatMayRepeat() throws IOException {
        Path file = dir.resolve("killed.jsonl");
        String whole = BulkReport.line(2, "DELIVERED", List.of(
                new BulkReport.Entry("a@example.com", 2, "ACCEPTED", 250, null, "Ok"),
                new BulkReport.Entry("b@example.com", 3, "ACCEPTED", 250, null, "Ok é")), null);
        // Cut inside the escaped é of the second recipient's text, and a stray byte that is not UTF-8 after it.
        byte[] bytes = (whole.substring(0, whole.indexOf("Ok \\u00E9") + 6) + "\u00ff")
                .getBytes(StandardCharsets.ISO_8859_1);
        int cut = bytes.length;
        String start = "{\"run\": {\"started\": \"2026-12-06T03:00:00Z\", \"recipients\": \"l.txt\", \"perMessage\": 2, "
                + "\"maxUnreported\": 150}}\n" + BulkReport.line(1, "DELIVERED", accepted("z@example.com", 1), null)
                + "\n";
        byte[] torn = new byte[cut];
        System.arraycopy(bytes, 0, torn, 0, cut);
        Files.write(file, start.getBytes(StandardCharsets.UTF_8));
        Files.write(file, torn, java.nio.file.StandardOpenOption.APPEND);

        StringWriter err = new StringWriter();
        PreviousReport previous = PreviousReport.read(file, new PrintWriter(err, true), "bulk");

        assertThat(previous.skip()).containsExactlyInAnyOrder("z@example.com", "a@example.com", "b@example.com");
        assertThat(previous.killed()).isTrue();
        assertThat(previous.mayRepeat()).isEqualTo(150);
        assertThat(err.toString()).contains("bulk: warning: --retry-from " + file + ":3: cut short",
                "2 complete recipient result(s) used");

        // Retrying into the same file: the new run starts on a line of its own.
        BulkReport again = BulkReport.open(file, true, 4, Path.of("l.txt"), 2);
        again.finish(0, 0, 0, 0);
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        assertThat(lines.get(lines.size() - 2)).startsWith("{\"run\": ");
        PreviousReport after = PreviousReport.read(file, new PrintWriter(new StringWriter(), true), "bulk");
        assertThat(after.killed()).isFalse();
        assertThat(after.mayRepeat()).as("the killed run's bound still counts").isEqualTo(150);
    }

    @Test
    void linesWithTlsLevelsAreWrittenAndReadBackEvenWhenTornInsideOne() throws IOException {
        io.reactivesmtp.MxTlsStatus may = io.reactivesmtp.MxTlsStatus.of("example.com", "mx.example.com",
                io.reactivesmtp.MxTlsLevel.MAY, io.reactivesmtp.MxTlsStatus.Source.NONE).withSession(true, false);
        String whole = BulkReport.line(4, "DELIVERED", List.of(
                new BulkReport.Entry("a@example.com", 4, "ACCEPTED", 250, null, "Ok").withTls(may),
                new BulkReport.Entry("b@example.com", 5, "ACCEPTED", 250, null, "Ok").withTls(may)), null);
        assertThat(whole).contains("\"text\": \"Ok\", \"tls\": {\"level\": \"may\", \"source\": \"NONE\", "
                + "\"host\": \"mx.example.com\", \"encrypted\": true, \"authenticated\": false, "
                + "\"plaintextAfterFailedHandshake\": false, \"mxDnssecValidated\": false}");
        Path file = dir.resolve("tls.jsonl");
        // Torn inside the second recipient's "tls" object: its address and status came before it.
        Files.writeString(file, whole.substring(0, whole.lastIndexOf("\"encrypted\"")));
        StringWriter err = new StringWriter();
        PreviousReport previous = PreviousReport.read(file, new PrintWriter(err, true), "bulk");
        assertThat(previous.skip()).containsExactlyInAnyOrder("a@example.com", "b@example.com");
        assertThat(err.toString()).contains("2 complete recipient result(s) used");
    }

    @Test
    void retryFromReadsReportsWhateverTheirSpacingAndIgnoresUnknownFields() throws IOException {
        Path file = dir.resolve("compact.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"run\":{\"started\":\"2026-12-06T03:00:00Z\",\"maxUnreported\":20,\"host\":\"h\"}}",
                "{ \"id\" : 1 , \"outcome\":\"PARTIAL\", \"recipients\" : [ {\"status\":\"ACCEPTED\",\"address\":"
                        + "\"a@example.com\", \"extra\": [1, {\"x\": null}]}, {\"address\":\"b@example.com\","
                        + "\"status\":\"TRANSIENT_FAILURE\"},{\"address\":\"c@example.com\",\"status\":"
                        + "\"PERMANENT_FAILURE\"} ], \"error\" : null, \"new\": true }",
                "\t{\"end\" :{\"abandoned\":2, \"exitStatus\":3}}", "{\"something\": \"else\"}", ""));
        StringWriter err = new StringWriter();
        PreviousReport previous = PreviousReport.read(file, new PrintWriter(err, true), "bulk");
        assertThat(previous.skip()).containsExactlyInAnyOrder("a@example.com", "c@example.com");
        assertThat(previous.killed()).isFalse();
        assertThat(previous.mayRepeat()).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("bulk: warning: --retry-from " + file + ":4: not a report line, ignored"
                + System.lineSeparator());
    }

    @Test
    void messageLinesAreWrittenOneAfterAnotherThroughOneGeneratorWithNullsErrorsAndEscapes() throws IOException {
        StringWriter out = new StringWriter();
        MessageLineWriter lines = new MessageLineWriter(out);
        lines.write(7, "PARTIAL", List.of(new BulkReport.Entry("a@example.com", 7, "ACCEPTED", 250, "2.0.0", "Ok"),
                new BulkReport.Entry("b@example.com", 8, "UNDETERMINED", 0, null, "caf\u00e9 \"closed\"")), null);
        out.write('\n');
        lines.write(9, "UNKNOWN", List.of(), new java.io.IOException("gone"));
        assertThat(out.toString()).isEqualTo("{\"id\": 7, \"outcome\": \"PARTIAL\", \"recipients\": ["
                + "{\"address\": \"a@example.com\", \"line\": 7, \"status\": \"ACCEPTED\", \"code\": 250, "
                + "\"enhancedStatus\": \"2.0.0\", \"text\": \"Ok\"}, "
                + "{\"address\": \"b@example.com\", \"line\": 8, \"status\": \"UNDETERMINED\", \"code\": null, "
                + "\"enhancedStatus\": null, \"text\": \"caf\\u00E9 \\\"closed\\\"\"}], \"error\": null}\n"
                + "{\"id\": 9, \"outcome\": \"UNKNOWN\", \"recipients\": [], "
                + "\"error\": {\"type\": \"IOException\", \"message\": \"gone\"}}");
        assertThat(BulkReport.line(9, "UNKNOWN", List.of(), new java.io.IOException("gone")))
                .isEqualTo(out.toString().substring(out.toString().indexOf('\n') + 1));
    }
}
