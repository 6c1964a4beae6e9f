package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.cli.BulkCommandTest.CountingServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bulk} runs of the packaged program ended by SIGINT and by SIGKILL at random points, against a server in
 * this JVM that counts deliveries per recipient. Then {@code --retry-from} the report finishes the job: after
 * SIGINT nobody gets the message twice; after SIGKILL only messages that were at a server without their report
 * line may repeat, at most as many as the report's {@code run} line said, and the retry says so. (A read error
 * ending a run is covered in process by {@link BulkCommandTest}, which can make the file fail at a random byte.)
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkEndingsJarIT {

    private static final int RECIPIENTS = 3000;
    private static final Duration RUN = Duration.ofSeconds(120);
    private static final Pattern EXIT_STATUS = Pattern.compile("(?m)^exit status (\\d)");
    private static final Pattern MAX_UNREPORTED = Pattern.compile("\"maxUnreported\": (\\d+)");

    @TempDir
    Path dir;

    private final Random random = new Random();

    private Path recipients(String domain) throws IOException {
        return Files.writeString(dir.resolve(domain + ".txt"), IntStream.rangeClosed(1, RECIPIENTS)
                .mapToObj(i -> "user" + i + "@" + domain).collect(Collectors.joining("\n", "", "\n")));
    }

    private Path body() throws IOException {
        return Files.writeString(dir.resolve("message.eml"), "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n");
    }

    private static List<String> all(String domain) {
        return IntStream.rangeClosed(1, RECIPIENTS).mapToObj(i -> "user" + i + "@" + domain).toList();
    }

    private PackagedCli.Running start(PackagedCli cli, CountingServer server, Path file, Path report,
            String... more) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of("bulk", "--from", "news@example.com", "--recipients",
                file.toString(), "--body", body().toString(), "--server", server.address(), "--tls", "none",
                "--concurrency", "20", "--report", report.toString()));
        args.addAll(List.of(more));
        return cli.command(args.toArray(String[]::new)).start();
    }

    /** Waits (bounded) until the server took in {@code n} messages; fails if the run ended first. */
    private static void awaitDeliveries(CountingServer server, PackagedCli.Running run, int n) {
        run.awaitOutput(n + " deliveries", text -> server.delivered.size() >= n, RUN);
    }

    /** The recipients the report says were accepted. */
    private static List<String> acceptedIn(Path report) throws IOException {
        return BulkCommandTest.reportLines(report).stream()
                .flatMap(l -> ((List<?>) l.get("recipients")).stream().map(r -> (Map<?, ?>) r))
                .filter(r -> "ACCEPTED".equals(r.get("status"))).map(r -> (String) r.get("address")).toList();
    }

    @Test
    void sigintAtRandomPointsExitsWithThePrintedStatusAndRetryFromSendsNobodyTwice() throws IOException {
        PackagedCli cli = new PackagedCli(dir);
        for (int round = 0; round < 3; round++) {
            boolean json = round == 2;
            String domain = "int" + round + ".example.org";
            try (CountingServer server = new CountingServer()) {
                server.dataDelayMillis = 10;
                Path file = recipients(domain);
                Path report = dir.resolve(domain + ".jsonl");
                PackagedCli.Running run = json ? start(cli, server, file, report, "--json")
                        : start(cli, server, file, report);
                int at = 50 + random.nextInt(RECIPIENTS / 2);
                awaitDeliveries(server, run, at);
                run.interrupt();
                PackagedCli.Result end = run.awaitExit(RUN);
                String why = "SIGINT after " + at + " deliveries\n" + end;

                int printed;
                if (json) {
                    printed = ((Long) DemoCommandTest.json(end.out()).get("exitStatus")).intValue();
                } else {
                    Matcher m = EXIT_STATUS.matcher(end.out());
                    assertThat(m.find()).as(why).isTrue();
                    printed = Integer.parseInt(m.group(1));
                }
                assertThat(end.code()).as(why).isEqualTo(printed).isEqualTo(ExitCodes.PARTIAL);
                assertThat(end.err()).as(why).contains("interrupted: taking no new messages");
                // Every message the server took in is in the report as accepted, and no other.
                assertThat(acceptedIn(report)).as(why).containsExactlyInAnyOrderElementsOf(server.delivered.keySet());
                assertThat(Files.readAllLines(report)).as(why).last().asString()
                        .startsWith("{\"end\": {\"exitStatus\": 3");

                PackagedCli.Result retry = start(cli, server, file, report, "--retry-from", report.toString())
                        .awaitExit(RUN);
                assertThat(retry.code()).as(retry.toString()).isEqualTo(ExitCodes.OK);
                assertThat(retry.err()).as(retry.toString()).isEmpty();
                assertThat(server.delivered.keySet()).as(why).containsExactlyInAnyOrderElementsOf(all(domain));
                assertThat(server.deliveredTwice()).as(why).isEmpty();
            }
        }
    }

    @Test
    void sigkillAtRandomPointsRepeatsOnlyWhatTheReportBoundedAndTheRetrySaysSo() throws IOException {
        PackagedCli cli = new PackagedCli(dir);
        for (int round = 0; round < 3; round++) {
            String domain = "kill" + round + ".example.org";
            try (CountingServer server = new CountingServer()) {
                server.dataDelayMillis = 10;
                Path file = recipients(domain);
                Path report = dir.resolve(domain + ".jsonl");
                PackagedCli.Running run = start(cli, server, file, report);
                int at = 50 + random.nextInt(RECIPIENTS / 2);
                awaitDeliveries(server, run, at);
                run.kill();
                String text = new String(Files.readAllBytes(report), StandardCharsets.ISO_8859_1);
                Matcher m = MAX_UNREPORTED.matcher(text);
                assertThat(m.find()).as(text).isTrue();
                int bound = Integer.parseInt(m.group(1));
                // The bound is of the order of the messages in flight (--concurrency 20), not of the run.
                assertThat(bound).as(text).isLessThanOrEqualTo(3 * 20);
                assertThat(text).doesNotContain("{\"end\": ");
                int deliveredAtKill = server.delivered.size();

                PackagedCli.Result retry = start(cli, server, file, report, "--retry-from", report.toString())
                        .awaitExit(RUN);
                String why = "SIGKILL after " + at + " deliveries (" + deliveredAtKill + " at the kill), bound "
                        + bound + "\n" + retry;
                assertThat(retry.code()).as(why).isEqualTo(ExitCodes.OK);
                assertThat(retry.err()).as(why).contains("warning: --retry-from " + report + ": up to " + bound
                        + " message(s) were at a server without a result in it at the end of a run that was killed");
                assertThat(server.delivered.keySet()).as(why).containsExactlyInAnyOrderElementsOf(all(domain));
                Map<String, Integer> twice = server.deliveredTwice();
                assertThat(twice.values()).as(why).allMatch(n -> n == 2);
                assertThat(twice.size()).as(why + "\ndelivered twice: " + twice.keySet()).isLessThanOrEqualTo(bound);
            }
        }
    }
}
