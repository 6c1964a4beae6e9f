package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;
import picocli.CommandLine;

/**
 * {@code reactive-smtp bulk}, run in-process through picocli against the embedded server and against a
 * SubEthaSMTP server started by the test (which counts the RCPT commands it gets), all on 127.0.0.1.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkCommandTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String MESSAGE = "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";

    @TempDir
    Path dir;

    /** The exit status and what the program printed. */
    record Run(int code, String out, String err) {
    }

    /** Runs {@code reactive-smtp bulk ARGS}, non-terminal, after {@code setup} configured the command. */
    static Run run(Consumer<BulkCommand> setup, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true));
        BulkCommand bulk = cl.getSubcommands().get("bulk").getCommand();
        bulk.terminal(false);
        bulk.installShutdownHook(false);
        setup.accept(bulk);
        int code = cl.execute(Stream.concat(Stream.of("bulk"), Stream.of(args)).toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    static Run run(String... args) {
        return run(b -> { }, args);
    }

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private Path body() throws IOException {
        return file("message.eml", MESSAGE);
    }

    private Path recipients(String... lines) throws IOException {
        return file("recipients-" + System.nanoTime() + ".txt", String.join("\n", lines) + "\n");
    }

    private static List<String> addresses(int n, String domain) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "user" + i + "@" + domain).toList();
    }

    /** The message lines of a report (not its {@code run} and {@code end} lines). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> reportLines(Path report) throws IOException {
        List<Map<String, Object>> lines = new ArrayList<>();
        for (String line : Files.readAllLines(report)) {
            Map<String, Object> object = (Map<String, Object>) TestJson.parse(line);
            if (object.containsKey("id")) {
                lines.add(object);
            }
        }
        return lines;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rcpts(Map<String, Object> line) {
        return (List<Map<String, Object>>) line.get("recipients");
    }

    /** The recipients of a report by address: their status. */
    private static Map<String, String> statuses(Path report) throws IOException {
        return reportLines(report).stream().flatMap(l -> rcpts(l).stream())
                .collect(Collectors.toMap(r -> (String) r.get("address"), r -> (String) r.get("status")));
    }

    @Test
    void embeddedServerRunWritesTheReportAndExitsThree() throws IOException {
        List<String> lines = new ArrayList<>(List.of("# a comment", "", "alice@example.com"));
        lines.add("nobody@example.net");
        lines.add("busy@example.net");
        lines.addAll(addresses(20, "example.org"));
        Path report = dir.resolve("report.jsonl");

        Run run = run("--from", "news@example.com", "--recipients", recipients(lines.toArray(String[]::new)).toString(),
                "--body", body().toString(), "--report", report.toString());

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
        assertThat(run.out()).contains("embedded SubEthaSMTP on 127.0.0.1:", "no --server or --mx given",
                "messages:     23 sent: 21 delivered, 0 partial, 2 rejected, 0 failed, 0 unknown",
                "recipients:   23: 21 accepted, 1 rejected (5xx), 1 transient (4xx), 0 unknown",
                "reply codes:  250 x21, 451 x1, 550 x1", "connections:  ", "exit status 3");
        assertThat(run.err()).isEmpty();

        List<Map<String, Object>> entries = reportLines(report);
        assertThat(entries).hasSize(23);
        Map<String, Object> nobody = entries.stream().filter(l -> l.get("id").equals(4L)).findFirst().orElseThrow();
        assertThat(nobody.get("outcome")).isEqualTo("REJECTED");
        assertThat(rcpts(nobody)).singleElement().satisfies(r -> {
            assertThat(r.get("address")).isEqualTo("nobody@example.net");
            assertThat(r.get("line")).isEqualTo(4L);
            assertThat(r.get("status")).isEqualTo("PERMANENT_FAILURE");
            assertThat(r.get("code")).isEqualTo(550L);
            assertThat(r.get("enhancedStatus")).isEqualTo("5.1.1");
            assertThat(r.get("text")).isEqualTo("no such user");
        });
        Map<String, Object> busy = entries.stream().filter(l -> l.get("id").equals(5L)).findFirst().orElseThrow();
        assertThat(rcpts(busy)).singleElement().satisfies(r -> {
            assertThat(r.get("status")).isEqualTo("TRANSIENT_FAILURE");
            assertThat(r.get("code")).isEqualTo(451L);
        });
        Map<String, Object> alice = entries.stream().filter(l -> l.get("id").equals(3L)).findFirst().orElseThrow();
        assertThat(alice.get("outcome")).isEqualTo("DELIVERED");
        assertThat(alice.get("error")).isNull();
        assertThat(rcpts(alice).get(0).get("code")).isEqualTo(250L);
    }

    @Test
    void theReadmeCommandRunsTheBundledExamples() {
        Path examples = Path.of("..", "examples");
        Run run = run("--from", "news@example.com", "--recipients", examples.resolve("recipients.txt").toString(),
                "--body", examples.resolve("message.eml").toString());

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
        assertThat(run.out()).contains("302 sent: 300 delivered, 0 partial, 2 rejected",
                "1 bad line(s) skipped", "250 x300, 451 x1, 550 x1");
        assertThat(run.err().lines().toList()).singleElement().asString()
                .contains("recipients.txt:158: skipped, not an address", "not-an-address");
    }

    @Test
    void everyRecipientAcceptedExitsZeroWithSeveralRecipientsPerMessage() throws IOException {
        try (CountingServer server = new CountingServer()) {
            Path report = dir.resolve("report.jsonl");
            Run run = run("--from", "news@example.com", "--recipients",
                    recipients(addresses(7, "example.com").toArray(String[]::new)).toString(), "--body",
                    body().toString(), "--server", server.address(), "--tls", "none", "--per-message", "3",
                    "--report", report.toString(), "--concurrency", "2", "--max-per-connection", "2");

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("3 sent: 3 delivered", "7: 7 accepted", "exit status 0");
            assertThat(server.rcpts).hasSize(7);
            assertThat(server.messages.get()).isEqualTo(3);
            List<Map<String, Object>> entries = reportLines(report);
            assertThat(entries).extracting(l -> l.get("id")).containsExactlyInAnyOrder(1L, 4L, 7L);
            assertThat(entries).allSatisfy(l -> assertThat(l.get("outcome")).isEqualTo("DELIVERED"));
            assertThat(entries).flatExtracting(BulkCommandTest::rcpts).extracting(r -> r.get("line"))
                    .containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        }
    }

    @Test
    void oneConnectionCarriesAThousandMessagesUnlessMaxPerConnectionSaysOtherwise() throws IOException {
        // 150 messages one after the other: beyond the library's default of 100 per connection, within bulk's.
        String list = recipients(addresses(150, "example.com").toArray(String[]::new)).toString();
        try (CountingServer server = new CountingServer()) {
            Run byDefault = run("--from", "news@example.com", "--recipients", list, "--body", body().toString(),
                    "--server", server.address(), "--tls", "none", "--json", "--concurrency", "1");
            Run fifty = run("--from", "news@example.com", "--recipients", list, "--body", body().toString(),
                    "--server", server.address(), "--tls", "none", "--json", "--concurrency", "1",
                    "--max-per-connection", "50");

            assertThat(byDefault.code()).as(byDefault.toString()).isEqualTo(ExitCodes.OK);
            assertThat(DemoCommandTest.json(byDefault.out()).get("connections")).isEqualTo(1L);
            assertThat(fifty.code()).as(fifty.toString()).isEqualTo(ExitCodes.OK);
            assertThat(DemoCommandTest.json(fifty.out()).get("connections")).isEqualTo(3L);
            assertThat(server.messages.get()).isEqualTo(300);
        }
    }

    @Test
    void everyRecipientRefusedExitsFour() throws IOException {
        try (CountingServer server = new CountingServer()) {
            server.reject("x@example.net", 550);
            server.reject("y@example.net", 550);
            Run run = run("--from", "news@example.com", "--recipients",
                    recipients("x@example.net", "y@example.net").toString(), "--body", body().toString(),
                    "--server", server.address(), "--tls", "none");

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(run.out()).contains("2 sent: 0 delivered, 0 partial, 2 rejected", "exit status 4");
        }
    }

    @Test
    void noServerListeningGivesTransientRecipientsInTheReportAndExitsFour() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path report = dir.resolve("report.jsonl");
        Run run = run("--from", "news@example.com", "--recipients", recipients("a@example.com", "b@example.com").toString(),
                "--body", body().toString(), "--server", "127.0.0.1:" + port, "--tls", "none",
                "--report", report.toString());

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).contains("2 sent: 0 delivered, 0 partial, 0 rejected, 2 failed",
                "2: 0 accepted, 0 rejected (5xx), 2 transient (4xx), 0 unknown",
                "errors:       2 x cannot connect to 127.0.0.1:" + port);
        assertThat(run.err()).contains("no recipient accepted; most frequent: 2 x cannot connect to 127.0.0.1:" + port);
        Run json = run("--from", "news@example.com", "--recipients", recipients("a@example.com").toString(),
                "--body", body().toString(), "--server", "127.0.0.1:" + port, "--tls", "none", "--json");
        assertThat(DemoCommandTest.json(json.out()).get("errors")).asList().singleElement()
                .satisfies(e -> assertThat(e.toString()).contains("count=1", "cannot connect to 127.0.0.1:" + port));
        List<Map<String, Object>> entries = reportLines(report);
        assertThat(entries).hasSize(2).allSatisfy(l -> {
            assertThat(l.get("outcome")).isEqualTo("FAILED");
            assertThat(l.get("error")).isInstanceOf(Map.class);
            assertThat(rcpts(l)).singleElement().satisfies(r -> {
                // Nothing went out: a transient failure (sent again by --retry-from), not an unknown outcome.
                assertThat(r.get("status")).isEqualTo("TRANSIENT_FAILURE");
                assertThat(r.get("code")).isNull();
            });
        });
    }

    @Test
    void retryFromSendsOnlyToTransientAndMissingRecipients() throws IOException {
        Path report = dir.resolve("first.jsonl");
        try (CountingServer server = new CountingServer()) {
            server.reject("refused@example.net", 550);
            server.reject("later@example.net", 451);
            Run first = run("--from", "news@example.com", "--recipients",
                    recipients("ok1@example.com", "refused@example.net", "later@example.net", "ok2@example.com")
                            .toString(), "--body", body().toString(), "--server", server.address(), "--tls", "none",
                    "--report", report.toString());
            assertThat(first.code()).as(first.toString()).isEqualTo(ExitCodes.PARTIAL);
            assertThat(server.rcpts).hasSize(4);
        }
        assertThat(statuses(report)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "ok1@example.com", "ACCEPTED", "refused@example.net", "PERMANENT_FAILURE",
                "later@example.net", "TRANSIENT_FAILURE", "ok2@example.com", "ACCEPTED"));

        try (CountingServer server = new CountingServer()) {
            // The rerun: the same file plus one address the first report does not have.
            Path second = dir.resolve("second.jsonl");
            Run rerun = run("--from", "news@example.com", "--recipients",
                    recipients("ok1@example.com", "refused@example.net", "later@example.net", "ok2@example.com",
                            "new@example.com").toString(), "--body", body().toString(), "--server", server.address(),
                    "--tls", "none", "--retry-from", report.toString(), "--report", second.toString());

            assertThat(rerun.code()).as(rerun.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).containsExactlyInAnyOrder("later@example.net", "new@example.com");
            assertThat(rerun.out()).contains("3 skipped (done in " + report + ")", "2: 2 accepted");
            assertThat(statuses(second)).containsOnlyKeys("later@example.net", "new@example.com");
        }

        try (CountingServer server = new CountingServer()) {
            // Retrying into the same file appends, so its last results say everything is done now.
            Run again = run("--from", "news@example.com", "--recipients",
                    recipients("ok1@example.com", "refused@example.net", "later@example.net").toString(),
                    "--body", body().toString(), "--server", server.address(), "--tls", "none",
                    "--retry-from", report.toString(), "--report", report.toString());
            assertThat(again.code()).as(again.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).containsExactly("later@example.net");
            assertThat(reportLines(report)).hasSize(5);

            Run nothingLeft = run("--from", "news@example.com", "--recipients",
                    recipients("ok1@example.com", "refused@example.net", "later@example.net").toString(),
                    "--body", body().toString(), "--server", server.address(), "--tls", "none",
                    "--retry-from", report.toString());
            assertThat(nothingLeft.code()).as(nothingLeft.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.rcpts).containsExactly("later@example.net");
            assertThat(nothingLeft.out()).contains("0 sent", "3 skipped");
        }
    }

    @Test
    void aBadLineIsReportedWithItsNumberSkippedAndCounted() throws IOException {
        try (CountingServer server = new CountingServer()) {
            Path file = recipients("# header", "a@example.com", "not an address", "", "b@example.com");
            Run run = run("--from", "news@example.com", "--recipients", file.toString(), "--body", body().toString(),
                    "--server", server.address(), "--tls", "none");

            assertThat(run.err().lines().toList()).singleElement().asString()
                    .startsWith("reactive-smtp bulk: " + file + ":3: skipped, not an address");
            assertThat(server.rcpts).containsExactlyInAnyOrder("a@example.com", "b@example.com");
            assertThat(run.out()).contains("5 line(s) read, 1 bad line(s) skipped", "2: 2 accepted");
            // Every address accepted, but one line was not delivered to: not a clean 0.
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);

            Run json = run("--from", "news@example.com", "--recipients", file.toString(), "--body", body().toString(),
                    "--server", server.address(), "--tls", "none", "--json");
            assertThat(DemoCommandTest.json(json.out()).get("badLines")).isEqualTo(1L);
        }
    }

    @Test
    void jsonPrintsOneSummaryObjectAndNoProgress() throws IOException {
        try (CountingServer server = new CountingServer()) {
            server.reject("no@example.net", 550);
            server.dataDelayMillis = 20;
            List<String> to = new ArrayList<>(addresses(10, "example.com"));
            to.add("no@example.net");
            Run run = run(b -> b.progressInterval(Duration.ofMillis(20)),
                    "--from", "news@example.com", "--recipients", recipients(to.toArray(String[]::new)).toString(),
                    "--body", body().toString(), "--server", server.address(), "--tls", "none", "--json",
                    "--concurrency", "1");

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
            assertThat(run.err()).isEmpty();
            Map<String, Object> json = DemoCommandTest.json(run.out());
            assertThat(json).containsKeys("server", "embeddedServer", "interrupted", "elapsedMillis", "messages",
                    "recipients", "badLines", "skipped", "replyCodes", "messagesPerSecond", "recipientsPerSecond",
                    "connections", "report", "error", "exitStatus");
            assertThat(json.get("embeddedServer")).isEqualTo(false);
            assertThat(json.get("interrupted")).isEqualTo(false);
            assertThat(json.get("exitStatus")).isEqualTo(3L);
            assertThat(json.get("connections")).isEqualTo(1L);
            assertThat(json.get("messages")).isEqualTo(Map.of("sent", 11L, "delivered", 10L, "partial", 0L,
                    "rejected", 1L, "failed", 0L, "unknown", 0L, "abandoned", 0L));
            assertThat(json.get("recipients")).isEqualTo(Map.of("total", 11L, "accepted", 10L, "rejected", 1L,
                    "transient", 0L, "unknown", 0L));
            assertThat(json.get("replyCodes")).isEqualTo(Map.of("250", 10L, "550", 1L));
        }
    }

    @Test
    void nonTerminalOutputHasPlainPeriodicLinesAndTerminalOutputOneLiveLine() throws IOException {
        try (CountingServer server = new CountingServer()) {
            server.dataDelayMillis = 30;
            Path file = recipients(addresses(20, "example.com").toArray(String[]::new));
            Run plain = run(b -> b.progressInterval(Duration.ofMillis(100)),
                    "--from", "news@example.com", "--recipients", file.toString(), "--body", body().toString(),
                    "--server", server.address(), "--tls", "none", "--concurrency", "1");

            assertThat(plain.code()).as(plain.toString()).isEqualTo(ExitCodes.OK);
            assertThat(plain.out()).doesNotContain("\r");
            List<String> progress = plain.out().lines().filter(l -> l.startsWith("reactive-smtp bulk: [")).toList();
            assertThat(progress).as(plain.out()).hasSizeGreaterThanOrEqualTo(2)
                    .allSatisfy(l -> assertThat(l).matches(
                            "reactive-smtp bulk: \\[\\d+\\.\\ds] \\d+ messages \\(\\d+\\.\\d/s\\), in flight \\d+ \\| "
                                    + "recipients: \\d+ accepted, 0 rejected, 0 transient, 0 unknown( \\| ETA.*)?"));
            assertThat(plain.out()).contains("reactive-smtp bulk: done in", "20 sent: 20 delivered");

            Run live = run(b -> {
                b.progressInterval(Duration.ofMillis(100));
                b.terminal(true);
            }, "--from", "news@example.com", "--recipients", file.toString(), "--body", body().toString(),
                    "--server", server.address(), "--tls", "none", "--concurrency", "1");
            assertThat(live.code()).as(live.toString()).isEqualTo(ExitCodes.OK);
            assertThat(live.out()).contains("\r[").doesNotContain("reactive-smtp bulk: [");
            assertThat(live.out()).contains("20 sent: 20 delivered");
        }
    }

    @Test
    void interruptionLetsInFlightMessagesFinishAndPrintsTheSummary() throws Exception {
        try (CountingServer server = new CountingServer()) {
            server.dataDelayMillis = 300;
            Path report = dir.resolve("report.jsonl");
            Path file = recipients(addresses(40, "example.com").toArray(String[]::new));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = Main.commandLine()
                    .setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(err, true));
            BulkCommand bulk = cl.getSubcommands().get("bulk").getCommand();
            bulk.terminal(false);
            bulk.installShutdownHook(false);
            String body = body().toString();
            CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> cl.execute("bulk",
                    "--from", "news@example.com", "--recipients", file.toString(), "--body", body,
                    "--server", server.address(), "--tls", "none", "--concurrency", "2", "--report",
                    report.toString()));
            assertThat(bulk.awaitStarted(WAIT)).isTrue();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (server.dataStarted.get() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(server.dataStarted.get()).isGreaterThanOrEqualTo(3);

            bulk.interrupt();   // what Ctrl-C does

            assertThat(code.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as(out + "\n" + err)
                    .isEqualTo(ExitCodes.PARTIAL);
            assertThat(out.toString()).contains("reactive-smtp bulk: interrupted in", "exit status 3",
                    "--retry-from " + report);
            assertThat(err.toString()).contains("interrupted: taking no new messages");
            int sent = server.messages.get();
            assertThat(sent).isBetween(3, 39);
            // Every message whose DATA had begun when the signal came was finished and reported.
            assertThat(server.dataStarted.get()).isEqualTo(sent);
            assertThat(reportLines(report)).hasSize(sent)
                    .allSatisfy(l -> assertThat(l.get("outcome")).isEqualTo("DELIVERED"));
            assertThat(out.toString()).contains(sent + " sent: " + sent + " delivered").doesNotContain("abandoned");
        }
    }

    @Test
    void interruptionGivesUpOnMessagesThatDoNotFinishInTime() throws Exception {
        try (CountingServer server = new CountingServer()) {
            server.dataDelayMillis = 5_000;
            Path file = recipients(addresses(5, "example.com").toArray(String[]::new));
            StringWriter out = new StringWriter();
            CommandLine cl = Main.commandLine()
                    .setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(new StringWriter(), true));
            BulkCommand bulk = cl.getSubcommands().get("bulk").getCommand();
            bulk.terminal(false);
            bulk.installShutdownHook(false);
            bulk.drainTimeout(Duration.ofMillis(300));
            String body = body().toString();
            CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> cl.execute("bulk",
                    "--from", "news@example.com", "--recipients", file.toString(), "--body", body,
                    "--server", server.address(), "--tls", "none", "--concurrency", "2"));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (server.dataStarted.get() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long start = System.nanoTime();
            bulk.interrupt();

            assertThat(code.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ExitCodes.FAILED);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            assertThat(out.toString()).contains("interrupted in", "2 abandoned in flight");
        }
    }

    /** A stream that hands out at most 512 bytes per read and fails once {@code failAt} bytes were read. */
    static InputStream failingAfter(InputStream in, long failAt) {
        return new java.io.FilterInputStream(in) {
            private long position;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (position >= failAt) {
                    throw new IOException("simulated read error at byte " + position);
                }
                int n = super.read(b, off, (int) Math.min(Math.min(len, 512), failAt - position));
                if (n > 0) {
                    position += n;
                }
                return n;
            }
        };
    }

    @Test
    void aReadErrorLetsTheMessagesHandedOutFinishSoTheReportHasEveryDeliveryAndRetryFromSendsNobodyTwice()
            throws IOException {
        java.util.Random random = new java.util.Random();
        for (int round = 0; round < 3; round++) {
            try (CountingServer server = new CountingServer()) {
                server.dataDelayMillis = 20;
                List<String> to = addresses(3000, "r" + round + ".example.org");
                Path file = recipients(to.toArray(String[]::new));
                long failAt = Files.size(file) / 5 + random.nextInt((int) (Files.size(file) * 3 / 5));
                Path report = dir.resolve("read-error-" + round + ".jsonl");
                Run run = run(b -> b.recipientsStream(in -> failingAfter(in, failAt)),
                        "--from", "news@example.com", "--recipients", file.toString(), "--body", body().toString(),
                        "--server", server.address(), "--tls", "none", "--concurrency", "50",
                        "--report", report.toString());

                String why = "read error at byte " + failAt + "\n" + run;
                assertThat(run.code()).as(why).isEqualTo(ExitCodes.PARTIAL);
                assertThat(run.err()).as(why).contains("cannot read " + file, "simulated read error");
                // Every message the server took in has its line, and the report claims no other.
                Map<String, String> statuses = statuses(report);
                assertThat(statuses.entrySet().stream().filter(e -> e.getValue().equals("ACCEPTED"))
                        .map(Map.Entry::getKey)).as(why).containsExactlyInAnyOrderElementsOf(server.delivered.keySet());
                int got = server.delivered.size();
                assertThat(run.out()).as(why).contains(got + " sent: " + got + " delivered");
                assertThat(Files.readAllLines(report)).last().asString().startsWith("{\"end\": {\"exitStatus\": 3");

                Run retry = run("--from", "news@example.com", "--recipients", file.toString(), "--body",
                        body().toString(), "--server", server.address(), "--tls", "none", "--concurrency", "50",
                        "--retry-from", report.toString(), "--report", report.toString());
                assertThat(retry.code()).as(retry.toString()).isEqualTo(ExitCodes.OK);
                assertThat(retry.err()).as(retry.toString()).isEmpty();
                assertThat(server.delivered.keySet()).as(why).containsExactlyInAnyOrderElementsOf(to);
                assertThat(server.deliveredTwice()).as(why).isEmpty();
            }
        }
    }

    @Test
    void aLineThatIsNotUtf8OrHoldsAControlCharacterIsOneBadLineAndLaterLinesKeepTheirNumbers() throws IOException {
        try (CountingServer server = new CountingServer()) {
            Path file = dir.resolve("mixed.txt");
            Files.write(file, concat("a@example.com\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    new byte[] {'R', 'e', 'n', (byte) 0xe9, '@', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g',
                        '\n'},
                    "bad\rcr@example.com\nb@example.com\r\nnul\u0000@example.com\nc@example.com"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            Path report = dir.resolve("mixed.jsonl");
            Run run = run("--from", "news@example.com", "--recipients", file.toString(), "--body", body().toString(),
                    "--server", server.address(), "--tls", "none", "--report", report.toString());

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
            assertThat(run.err().lines().toList()).as(run.toString()).containsExactly(
                    "reactive-smtp bulk: " + file + ":2: skipped, not an address: not UTF-8 text (the recipients "
                            + "file's charset must be UTF-8)",
                    "reactive-smtp bulk: " + file + ":3: skipped, not an address: control character U+000D at "
                            + "column 4 (only LF, or CR LF, ends a line)",
                    "reactive-smtp bulk: " + file + ":5: skipped, not an address: control character U+0000 at "
                            + "column 4 (only LF, or CR LF, ends a line)");
            assertThat(server.delivered.keySet()).containsExactlyInAnyOrder("a@example.com", "b@example.com",
                    "c@example.com");
            assertThat(run.out()).contains("6 line(s) read, 3 bad line(s) skipped");
            assertThat(reportLines(report)).extracting(l -> rcpts(l).get(0).get("address") + ":"
                    + rcpts(l).get(0).get("line")).containsExactlyInAnyOrder("a@example.com:1", "b@example.com:4",
                    "c@example.com:6");
        }
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    @Test
    void aFileWithoutATextLineIsAUsageErrorAndNothingIsSent() throws IOException {
        try (CountingServer server = new CountingServer()) {
            byte[] binary = new byte[3000];
            new java.util.Random(7).nextBytes(binary);
            for (int i = 0; i < binary.length; i++) {
                if (binary[i] == '\n') {
                    binary[i] = 0;
                }
            }
            binary[0] = (byte) 0x89; // not UTF-8 whatever follows
            Path file = Files.write(dir.resolve("image.png"), binary);
            Run run = run("--from", "news@example.com", "--recipients", file.toString(), "--body", body().toString(),
                    "--server", server.address(), "--tls", "none");

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).contains("--recipients: " + file + " is not a text file: none of its 1 line(s) is "
                    + "UTF-8 text");
            assertThat(run.out()).isEmpty();
            assertThat(server.rcpts).isEmpty();
        }
    }

    @Test
    void anEmptyBodyIsRefusedUnlessAllowed() throws IOException {
        try (CountingServer server = new CountingServer()) {
            Path empty = Files.write(dir.resolve("empty.eml"), new byte[0]);
            Path file = recipients("a@example.com");
            Run run = run("--from", "news@example.com", "--recipients", file.toString(), "--body", empty.toString(),
                    "--server", server.address(), "--tls", "none");
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).contains("--body: " + empty + " is empty (0 bytes); give --allow-empty");
            assertThat(server.rcpts).isEmpty();

            Run allowed = run("--from", "news@example.com", "--recipients", file.toString(), "--body",
                    empty.toString(), "--server", server.address(), "--tls", "none", "--allow-empty");
            assertThat(allowed.code()).as(allowed.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.delivered).containsOnlyKeys("a@example.com");
        }
    }

    @Test
    void progressCountsOnlyMessagesAtAServerAndNeverMoreAcceptedThanMessages() throws IOException {
        try (CountingServer server = new CountingServer()) {
            server.dataDelayMillis = 2;
            Path file = recipients(addresses(400, "example.com").toArray(String[]::new));
            Run run = run(b -> b.progressInterval(Duration.ofMillis(5)),
                    "--from", "news@example.com", "--recipients", file.toString(), "--body", body().toString(),
                    "--server", server.address(), "--tls", "none", "--concurrency", "5",
                    "--report", dir.resolve("progress.jsonl").toString());

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            java.util.regex.Pattern p = java.util.regex.Pattern.compile(
                    "\\] (\\d+) messages \\([^)]*\\), in flight (\\d+) \\| recipients: (\\d+) accepted");
            List<String> progress = run.out().lines().filter(l -> l.startsWith("reactive-smtp bulk: [")).toList();
            assertThat(progress).as(run.out()).isNotEmpty().allSatisfy(l -> {
                java.util.regex.Matcher m = p.matcher(l);
                assertThat(m.find()).as(l).isTrue();
                assertThat(Long.parseLong(m.group(2))).as(l).isLessThanOrEqualTo(5);
                assertThat(Long.parseLong(m.group(3))).as(l).isLessThanOrEqualTo(Long.parseLong(m.group(1)));
            });
        }
    }

    @Test
    void anInterruptionIsAnnouncedEvenWhenTheRunEndsAtOnce() throws IOException {
        try (CountingServer server = new CountingServer()) {
            Path file = recipients(addresses(50, "example.com").toArray(String[]::new));
            Run run = run(BulkCommand::interrupt, "--from", "news@example.com", "--recipients", file.toString(),
                    "--body", body().toString(), "--server", server.address(), "--tls", "none");

            assertThat(run.err()).as(run.toString()).contains("interrupted: taking no new messages");
            assertThat(run.out()).contains("reactive-smtp bulk: interrupted in", "exit status " + run.code());
        }
    }

    @Test
    void usageErrorsSendNothing() throws IOException {
        Path file = recipients("a@example.com");
        String body = body().toString();
        Map<String, String[]> cases = Map.of(
                "--mx and --server", new String[] {"--server", "127.0.0.1:25", "--mx"},
                "--per-message must be at least 1", new String[] {"--per-message", "0"},
                "--concurrency must be at least 1", new String[] {"--concurrency", "0"},
                "--rate must be", new String[] {"--rate", "0"},
                "need --server or --mx", new String[] {"--user", "me", "--password-env", "PW"},
                "--server: invalid server", new String[] {"--server", "nowhere"});
        cases.forEach((message, extra) -> {
            Run run = run(Stream.concat(Stream.of("--from", "news@example.com", "--recipients", file.toString(),
                    "--body", body), Stream.of(extra)).toArray(String[]::new));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).contains(message);
        });
        Run missing = run("--from", "news@example.com", "--recipients", dir.resolve("nope.txt").toString(),
                "--body", body);
        assertThat(missing.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("--recipients", "is not a readable file");
        Run badFrom = run("--from", "not an address", "--recipients", file.toString(), "--body", body);
        assertThat(badFrom.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badFrom.err()).contains("--from");
    }

    @Test
    void helpListsTheInterface() {
        Run run = run("--help");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("--from=ADDR", "--recipients=FILE", "--body=FILE", "--server=HOST:PORT", "--mx",
                "--tls=none|opportunistic|required|implicit", "--trust-pem=FILE", "--user=USER",
                "--password-env=VARNAME", "--per-message=N", "--concurrency=C", "--per-destination=D",
                "--rate=MSGS_PER_S", "--no-pacing", "--max-per-connection=M", "--retries=K", "--report=FILE.jsonl",
                "--retry-from=FILE.jsonl", "--json");
        assertThat(DemoCommandTest.run("--help").out()).contains("bulk");
    }

    /** A SubEthaSMTP server on 127.0.0.1 that records every RCPT it is sent, with optional refusals and delay. */
    static final class CountingServer implements AutoCloseable {
        final List<String> rcpts = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger dataStarted = new AtomicInteger();
        final AtomicInteger messages = new AtomicInteger();
        final Map<String, Integer> rejections = new ConcurrentHashMap<>();
        /** Messages whose data was taken in, per recipient (the server has them, whatever the client saw). */
        final Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
        volatile long dataDelayMillis;
        private final SMTPServer server;

        CountingServer() {
            server = SMTPServer.port(0)
                    .bindAddress(InetAddress.getLoopbackAddress())
                    .hostName("counting.test")
                    .messageHandlerFactory(this::handler)
                    .build();
            server.start();
        }

        void reject(String address, int code) {
            rejections.put(address, code);
        }

        String address() {
            return "127.0.0.1:" + server.getPortAllocated();
        }

        /** @return recipients that got more than one message */
        Map<String, Integer> deliveredTwice() {
            return delivered.entrySet().stream().filter(e -> e.getValue().get() > 1)
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
        }

        private MessageHandler handler(MessageContext context) {
            List<String> accepted = new ArrayList<>();
            return new MessageHandler() {
                @Override
                public void from(String from) {
                }

                @Override
                public void recipient(String recipient) throws RejectException {
                    rcpts.add(recipient);
                    Integer code = rejections.get(recipient);
                    if (code != null) {
                        throw new RejectException(code, (code >= 500 ? "5.1.1" : "4.2.1") + " refused by the test");
                    }
                    accepted.add(recipient);
                }

                @Override
                public String data(InputStream data) throws IOException {
                    dataStarted.incrementAndGet();
                    data.readAllBytes();
                    for (String r : accepted) {
                        delivered.computeIfAbsent(r, k -> new AtomicInteger()).incrementAndGet();
                    }
                    try {
                        Thread.sleep(dataDelayMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    messages.incrementAndGet();
                    return null;
                }

                @Override
                public void done() {
                }
            };
        }

        @Override
        public void close() {
            server.stop();
        }
    }
}
