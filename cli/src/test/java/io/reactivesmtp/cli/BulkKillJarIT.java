package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.server.SMTPServer;

/**
 * Crash safety of {@code bulk --report FILE}: the packaged program is killed with SIGKILL in the middle of a run
 * (no shutdown hook, no flush), the report's last line is torn as a write cut short by the kill would leave it,
 * and {@code bulk --retry-from FILE --report FILE} finishes the job against the same server. The server counts
 * deliveries per recipient; it takes each message, counts it, then waits {@link #REPLY_DELAY} before its 250, so
 * the kill lands while messages are counted at the server but not yet in the report (the messages in flight, at
 * most {@code --concurrency}).
 *
 * <p>Then: no recipient whose acceptance is in the file (a complete line) is sent again; none is missed; the
 * recipients sent twice are only those in flight at the kill (bounded by the concurrency) or on the torn line;
 * the torn line is named in a warning and ignored.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkKillJarIT {

    private static final Duration REPLY_DELAY = Duration.ofMillis(40);
    private static final int RECIPIENTS = 600;
    private static final int PER_MESSAGE = 2;
    private static final int CONCURRENCY = 4;
    private static final Pattern RECIPIENT = Pattern.compile(
            "\\{\"address\": \"([^\"]+)\", \"line\": \\d+, \"status\": \"([A-Z_]+)\"");

    @TempDir
    Path dir;

    @Test
    void sigkillMidRunThenRetryFromTheReportSendsEachRecipientOnceExceptThoseInFlight() throws Exception {
        StringBuilder file = new StringBuilder();
        List<String> all = new ArrayList<>();
        for (int i = 0; i < RECIPIENTS; i++) {
            String a = "reader" + i + "@example.com";
            all.add(a);
            file.append(a).append('\n');
        }
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), file);
        Path body = Files.writeString(dir.resolve("message.eml"), "From: news@example.com\r\nSubject: crash\r\n\r\nHi.\r\n");
        Path report = dir.resolve("report.jsonl");
        PackagedCli cli = new PackagedCli(dir);

        try (CountingServer server = new CountingServer(REPLY_DELAY)) {
            String[] common = {"bulk", "--server", "127.0.0.1:" + server.port(), "--tls", "none",
                "--from", "news@example.com", "--recipients", recipients.toString(), "--body", body.toString(),
                "--per-message", Integer.toString(PER_MESSAGE), "--concurrency", Integer.toString(CONCURRENCY),
                "--report", report.toString()};
            PackagedCli.Running first = cli.command(common).start();
            PackagedCli.awaitFile(report, lines -> lines.size() >= 25, Duration.ofSeconds(120));
            assertThat(first.isAlive()).as("the run must still be going when it is killed").isTrue();
            first.kill();
            Map<String, Integer> beforeRetry = server.counts();

            // A torn last line: the one the kill left, if it cut a write short; otherwise the last line is torn
            // here as such a write would leave it: kept up to the middle of its first address, no newline.
            String text = new String(Files.readAllBytes(report), StandardCharsets.UTF_8);
            String tornLine;
            String complete;
            Set<String> torn;
            if (text.endsWith("\n")) {
                int lastStart = text.lastIndexOf('\n', text.length() - 2) + 1;
                String lastLine = text.substring(lastStart, text.length() - 1);
                torn = addresses(lastLine);
                tornLine = lastLine.substring(0, lastLine.indexOf("\"address\": \"") + "\"address\": \"reader".length());
                complete = text.substring(0, lastStart);
                Files.writeString(report, complete + tornLine);
            } else {
                int lastStart = text.lastIndexOf('\n') + 1;
                tornLine = text.substring(lastStart);
                torn = addresses(tornLine);
                complete = text.substring(0, lastStart);
            }
            List<String> completeLines = complete.lines().toList();
            Set<String> inReport = accepted(completeLines);
            int tornLineNumber = completeLines.size() + 1;
            // At most this many messages are at the server without their line on disk: the concurrency, or the
            // bound the report states if it states one.
            Matcher stated = Pattern.compile("\"maxUnreported\": (\\d+)").matcher(complete);
            int unreportedMessages = stated.find() ? Integer.parseInt(stated.group(1)) : CONCURRENCY;

            // Nothing the report calls accepted was not delivered.
            for (String a : inReport) {
                assertThat(beforeRetry.get(a)).as("reported accepted, delivered once: " + a).isEqualTo(1);
            }
            Set<String> inFlight = new HashSet<>(beforeRetry.keySet());
            inFlight.removeAll(inReport);
            inFlight.removeAll(torn);
            assertThat(inFlight.size()).as("delivered but not in the report at the kill (in flight): " + inFlight)
                    .isLessThanOrEqualTo(unreportedMessages * PER_MESSAGE);

            PackagedCli.Result retry = cli.command(concat(common, "--retry-from", report.toString()))
                    .run(Duration.ofSeconds(150));
            Map<String, Integer> after = server.counts();

            Map<Integer, Integer> histogram = new TreeMap<>();
            after.values().forEach(n -> histogram.merge(n, 1, Integer::sum));
            List<String> twice = after.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .sorted().toList();
            System.out.printf("BulkKillJarIT: %d recipients, %d messages of %d, concurrency %d, reply delay %d ms%n"
                            + "  before the kill: %d report lines complete (at most %d messages unreported), %d recipients accepted in them, "
                            + "%d delivered at the server, %d in flight (delivered, not reported), %d on the torn line%n"
                            + "  after --retry-from: %d recipients delivered, %d missing, deliveries per recipient %s, "
                            + "sent twice %s; retry exit %d%n",
                    RECIPIENTS, RECIPIENTS / PER_MESSAGE, PER_MESSAGE, CONCURRENCY, REPLY_DELAY.toMillis(),
                    completeLines.size(), unreportedMessages, inReport.size(), beforeRetry.size(), inFlight.size(), torn.size(),
                    after.size(), RECIPIENTS - after.size(), histogram, twice, retry.code());

            assertThat(retry.code()).as(retry.toString()).isEqualTo(ExitCodes.OK);
            assertThat(retry.err()).as(retry.toString())
                    .containsPattern("--retry-from \\S*report\\.jsonl:" + tornLineNumber + ": ");
            assertThat(after.keySet()).as("none missed").containsExactlyInAnyOrderElementsOf(all);
            for (String a : inReport) {
                assertThat(after.get(a)).as("accepted in the report, not sent again: " + a).isEqualTo(1);
            }
            Set<String> mayRepeat = new HashSet<>(inFlight);
            mayRepeat.addAll(torn);
            assertThat(twice).as("sent twice only if in flight at the kill or on the torn line")
                    .allMatch(mayRepeat::contains);
            assertThat(histogram.keySet()).as("nobody more than twice").allMatch(n -> n <= 2);
            // The torn line neither swallowed nor corrupted what the retry appended.
            List<String> finalLines = Files.readAllLines(report);
            assertThat(finalLines.get(tornLineNumber - 1)).as("the torn line stays alone on its line")
                    .isEqualTo(tornLine);
            assertThat(finalLines.subList(tornLineNumber, finalLines.size())).allMatch(l -> l.endsWith("}"));
            Set<String> everAccepted = accepted(finalLines);
            assertThat(everAccepted).containsExactlyInAnyOrderElementsOf(all);
        }
    }

    /** The addresses on a report line, whatever their status (complete or not). */
    private static Set<String> addresses(String line) {
        Set<String> addresses = new HashSet<>();
        Matcher m = Pattern.compile("reader\\d+@example\\.com").matcher(line);
        while (m.find()) {
            addresses.add(m.group());
        }
        return addresses;
    }

    /** The addresses with an ACCEPTED status on these lines. */
    private static Set<String> accepted(List<String> lines) {
        Set<String> accepted = new HashSet<>();
        for (String line : lines) {
            Matcher m = RECIPIENT.matcher(line);
            while (m.find()) {
                if (m.group(2).equals("ACCEPTED")) {
                    accepted.add(m.group(1));
                }
            }
        }
        return accepted;
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * SubEthaSMTP on 127.0.0.1 that counts, per recipient, the messages it took (counted when the data has
     * arrived, as a real MTA has queued the message by then), then waits before its 250. The in-JVM test servers
     * have no such delay, and without it the window in which a message is delivered but not yet reported is too
     * short for a kill to land in.
     */
    static final class CountingServer implements AutoCloseable {
        private final SMTPServer server;
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        CountingServer(Duration replyDelay) throws IOException {
            server = SMTPServer.port(0)
                    .bindAddress(InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1}))
                    .hostName("counting.test")
                    .connectionTimeout(30, TimeUnit.SECONDS)
                    .messageHandlerFactory((MessageContext context) -> new MessageHandler() {
                        private final List<String> recipients = new ArrayList<>();

                        @Override
                        public void from(String from) {
                        }

                        @Override
                        public void recipient(String recipient) {
                            recipients.add(recipient);
                        }

                        @Override
                        public String data(InputStream data) throws IOException {
                            data.readAllBytes();
                            recipients.forEach(r -> counts.computeIfAbsent(r, k -> new AtomicInteger()).incrementAndGet());
                            try {
                                Thread.sleep(replyDelay.toMillis());
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return null;
                        }

                        @Override
                        public void done() {
                        }
                    })
                    .build();
            server.start();
        }

        int port() {
            return server.getPortAllocated();
        }

        /** @return a snapshot: recipient to messages taken for it */
        Map<String, Integer> counts() {
            Map<String, Integer> snapshot = new HashMap<>();
            counts.forEach((k, v) -> snapshot.put(k, v.get()));
            return snapshot;
        }

        @Override
        public void close() {
            server.stop();
        }
    }
}
