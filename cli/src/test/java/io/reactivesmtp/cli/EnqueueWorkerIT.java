package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.kafka.JobReport;
import io.reactivesmtp.kafka.TestKafkaBroker;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code reactive-smtp enqueue} and two {@code reactive-smtp worker}s, run in-process through picocli against a
 * Kafka broker (KRaft) and a SubEthaSMTP server, both in this JVM on loopback.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EnqueueWorkerIT {

    private static TestKafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TestKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        Object sub = cl.getSubcommands().get(command).getCommand();
        if (sub instanceof WorkerCommand w) {
            w.terminal(false);
            w.installShutdownHook(false);
            w.progressInterval(Duration.ofMillis(500));
        } else if (sub instanceof EnqueueCommand e) {
            e.terminal(false);
        }
        int code = cl.execute(Stream.concat(Stream.of(command), Stream.of(args)).toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void enqueueThenTwoWorkersDeliverEveryRecipientOnce() throws Exception {
        broker.createTopics(4, "cli.jobs", "cli.jobs.retry", "cli.reports");
        StringBuilder file = new StringBuilder("# recipients\nreader0@d0.example\n");
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            String a = "reader" + i + "@d" + (i % 6) + ".example";
            all.add(a);
            file.append(a).append('\n');
        }
        file.append("not-an-address\n").append("nobody@example.net\n");
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), file);
        Path body = Files.writeString(dir.resolve("message.eml"), "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n");

        Run enqueue = run("enqueue", "--bootstrap-servers", broker.bootstrapServers(), "--topic", "cli.jobs",
                "--from", "news@example.com", "--recipients", recipients.toString(), "--body", body.toString(),
                "--per-job", "4");
        assertThat(enqueue.err()).contains("recipients.txt:93: skipped, not an address");
        // 6 domains of 15 recipients: 4 jobs each (4+4+4+3), and nobody@example.net alone.
        assertThat(enqueue.out()).contains("jobs:         25 enqueued (91 recipients), 0 not acknowledged",
                "1 bad line(s) skipped, 1 duplicate(s) skipped", "exit status 3");
        assertThat(enqueue.code()).isEqualTo(ExitCodes.PARTIAL);

        try (SubethaSmtpServer smtp = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user").start()) {
            String[] args = {"--bootstrap-servers", broker.bootstrapServers(), "--jobs-topic", "cli.jobs",
                "--reports-topic", "cli.reports", "--group", "cli", "--server", "127.0.0.1:" + smtp.port(),
                "--tls", "none", "--in-flight-per-partition", "2", "--exit-when-idle", "4"};
            CompletableFuture<Run> w1 = CompletableFuture.supplyAsync(() -> run("worker", concat(args, "--worker-id", "w1")));
            CompletableFuture<Run> w2 = CompletableFuture.supplyAsync(() -> run("worker", concat(args, "--worker-id", "w2")));
            Run r1 = w1.get(120, TimeUnit.SECONDS);
            Run r2 = w2.get(120, TimeUnit.SECONDS);
            System.out.println(r1.out() + r1.err() + r2.out() + r2.err());
            for (Run r : List.of(r1, r2)) {
                assertThat(r.out()).contains("reactive-smtp worker: " + broker.bootstrapServers() + ", group cli",
                        "jobs:         ", "recipients:   ", "reply codes:  ", "exit status ");
                assertThat(r.err()).doesNotContain("worker failed");
            }
            List<ConsumerRecord<byte[], byte[]>> records = broker.readUntil("cli.reports", Duration.ofSeconds(10),
                    read -> read.size() >= 25);
            assertThat(records).hasSize(25);
            Set<String> accepted = new HashSet<>();
            int rejected = 0;
            for (ConsumerRecord<byte[], byte[]> r : records) {
                for (JobReport.Recipient x : JobReport.parse(r.value()).recipients()) {
                    if (x.status() == JobReport.Status.ACCEPTED) {
                        assertThat(accepted.add(x.address())).as("accepted once: " + x.address()).isTrue();
                    } else {
                        assertThat(x.address()).isEqualTo("nobody@example.net");
                        assertThat(x.code()).isEqualTo(550);
                        rejected++;
                    }
                }
            }
            assertThat(accepted).containsExactlyInAnyOrderElementsOf(all);
            assertThat(rejected).isEqualTo(1);
            Set<String> received = new HashSet<>();
            smtp.messages().forEach(m -> received.addAll(m.recipients()));
            assertThat(received).containsExactlyInAnyOrderElementsOf(all);
            // One worker saw the 550: exit 3; the other only acceptances: 0 (or 0 and 0 would mean none was seen).
            assertThat(List.of(r1.code(), r2.code())).containsExactlyInAnyOrder(ExitCodes.OK, ExitCodes.PARTIAL);
            String both = r1.out() + r2.out();
            assertThat(both).contains("550 x1");
        }
    }

    @Test
    void jsonSummaries() throws Exception {
        broker.createTopics(2, "json.jobs", "json.jobs.retry", "json.reports");
        Path recipients = Files.writeString(dir.resolve("r.txt"), "a@one.example\nb@one.example\nc@two.example\n");
        Path body = Files.writeString(dir.resolve("m.eml"), "Subject: hi\r\n\r\nHello.\r\n");
        Run enqueue = run("enqueue", "--bootstrap-servers", broker.bootstrapServers(), "--topic", "json.jobs",
                "--from", "news@example.com", "--recipients", recipients.toString(), "--body", body.toString(), "--json");
        assertThat(enqueue.code()).isEqualTo(ExitCodes.OK);
        java.util.Map<?, ?> e = (java.util.Map<?, ?>) TestJson.parse(enqueue.out());
        assertThat(e.get("jobs")).isEqualTo(java.util.Map.of("enqueued", 2L, "failed", 0L));
        assertThat(e.get("recipients")).isEqualTo(3L);
        assertThat(e.get("exitStatus")).isEqualTo(0L);
        // --pacing-state: read at the start (the week-old entry dropped), written at the end.
        Path state = dir.resolve("pacing.json");
        io.reactivesmtp.reactor.LearnedPace kept = new io.reactivesmtp.reactor.LearnedPace("google.com", 3, 10, 40,
                java.time.Instant.now().minusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        PacingStateFile.write(state, List.of(kept, new io.reactivesmtp.reactor.LearnedPace("old.example:25", 2, 0, 0,
                java.time.Instant.now().minus(java.time.Duration.ofDays(8)))));
        try (SubethaSmtpServer smtp = SubethaSmtpServer.start()) {
            Run worker = run("worker", "--bootstrap-servers", broker.bootstrapServers(), "--jobs-topic", "json.jobs",
                    "--reports-topic", "json.reports", "--group", "json", "--server", "127.0.0.1:" + smtp.port(),
                    "--tls", "none", "--exit-when-idle", "2", "--json", "--pacing-state", state.toString());
            assertThat(worker.code()).as(worker.err()).isEqualTo(ExitCodes.OK);
            assertThat(PacingStateFile.read(state, java.time.Instant.EPOCH)).containsExactly(kept);
            java.util.Map<?, ?> w = (java.util.Map<?, ?>) TestJson.parse(worker.out());
            assertThat(((java.util.Map<?, ?>) w.get("jobs")).get("delivered")).isEqualTo(2L);
            assertThat(((java.util.Map<?, ?>) w.get("recipients")).get("accepted")).isEqualTo(3L);
            assertThat(w.get("replyCodes")).isEqualTo(java.util.Map.of("250", 3L));
            assertThat(w.get("error")).isNull();
            assertThat(w.get("exitStatus")).isEqualTo(0L);
        }
    }

    @Test
    void workerRefusesTopicsThatDoNotExistOrDoNotMatch() throws Exception {
        broker.createTopics(2, "odd.jobs", "odd.jobs.retry");
        broker.createTopics(3, "odd.reports");
        Run run = run("worker", "--bootstrap-servers", broker.bootstrapServers(), "--jobs-topic", "odd.jobs",
                "--reports-topic", "odd.reports", "--server", "127.0.0.1:2525", "--tls", "none");
        assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.err()).contains("the jobs, retry and reports topics must have the same partition count",
                "odd.jobs has 2, odd.jobs.retry 2, odd.reports 3");
        Run missing = run("worker", "--bootstrap-servers", broker.bootstrapServers(), "--jobs-topic", "nope",
                "--reports-topic", "odd.reports", "--server", "127.0.0.1:2525", "--tls", "none");
        assertThat(missing.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(missing.err()).contains("topic nope does not exist");
    }

    @Test
    void usageErrorsNameTheOption() {
        Run run = run("worker", "--bootstrap-servers", "localhost:9092", "--jobs-topic", "a", "--reports-topic", "a",
                "--server", "127.0.0.1:2525", "--tls", "none");
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("jobs, retry and reports topics must differ");
        Run perJob = run("enqueue", "--bootstrap-servers", "localhost:9092", "--topic", "t", "--from", "a@example.com",
                "--recipients", "/nonexistent", "--body", "/nonexistent");
        assertThat(perJob.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(perJob.err()).contains("--recipients: /nonexistent is not a readable file");
        Run key = run("worker", "--bootstrap-servers", "localhost:9092", "--jobs-topic", "a", "--reports-topic", "b",
                "--server", "127.0.0.1:2525", "--tls", "none", "--max-attempts", "0");
        assertThat(key.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(key.err()).contains("--max-attempts must be at least 1, not 0");
        Run rate = run("worker", "--bootstrap-servers", "localhost:9092", "--jobs-topic", "a", "--reports-topic", "b",
                "--server", "127.0.0.1:2525", "--tls", "none", "--rate", "0");
        assertThat(rate.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(rate.err()).contains("--rate must be a number of messages per second above 0, not 0.0");
        Run server = run("worker", "--bootstrap-servers", "localhost:9092", "--jobs-topic", "a", "--reports-topic", "b",
                "--server", "nohostport", "--tls", "none");
        assertThat(server.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(server.err()).contains("--server: ");
        Run enqueueKey = run("enqueue", "--bootstrap-servers", "localhost:9092", "--topic", "t", "--from", "a@example.com",
                "--recipients", "pom.xml", "--body", "pom.xml", "--key", "tenant");
        assertThat(enqueueKey.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(enqueueKey.err()).contains("--key: unknown key strategy \"tenant\": domain, job-id or none");
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }
}
