package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.kafka.JobReport;
import io.reactivesmtp.kafka.TestKafkaBroker;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code enqueue} and {@code worker} from the packaged jar ({@link PackagedCli}), each in a JVM of its own, against
 * the Kafka broker of the kafka module's tests (in this JVM, KRaft, loopback) and SubEthaSMTP: the Kafka client
 * and its compression codecs, loaded by name at run time, must be in the shaded jar.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaJarIT {

    private static TestKafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TestKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void enqueueThenAWorkerDeliversEveryJobAndReportsIt() throws Exception {
        broker.createTopics(2, "jar.jobs", "jar.jobs.retry", "jar.reports");
        StringBuilder file = new StringBuilder("# recipients\n");
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String a = "reader" + i + "@d" + (i % 3) + ".example";
            all.add(a);
            file.append(a).append('\n');
        }
        file.append("nobody@example.net\n");
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), file);
        Path body = Files.writeString(dir.resolve("message.eml"), "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n");
        PackagedCli cli = new PackagedCli(dir);

        PackagedCli.Result enqueue = cli.command("enqueue", "--bootstrap-servers", broker.bootstrapServers(),
                "--topic", "jar.jobs", "--from", "news@example.com", "--recipients", recipients.toString(),
                "--body", body.toString(), "--per-job", "5").run(Duration.ofSeconds(120)).assertExit(ExitCodes.OK);
        // 3 domains of 7, 7 and 6 recipients in jobs of at most 5: 2 + 2 + 2, and nobody@example.net alone.
        assertThat(enqueue.out()).contains("jobs:         7 enqueued (21 recipients), 0 not acknowledged",
                "exit status 0");

        try (SubethaSmtpServer smtp = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user").start()) {
            PackagedCli.Result worker = cli.command("worker", "--bootstrap-servers", broker.bootstrapServers(),
                    "--jobs-topic", "jar.jobs", "--reports-topic", "jar.reports", "--group", "jar",
                    "--worker-id", "jar-worker", "--server", "127.0.0.1:" + smtp.port(), "--tls", "none",
                    "--exit-when-idle", "4").run(Duration.ofSeconds(150)).assertExit(ExitCodes.PARTIAL);
            assertThat(worker.out()).contains("reactive-smtp worker: " + broker.bootstrapServers() + ", group jar",
                    "recipients:   ", "550 x1", "exit status 3");

            List<ConsumerRecord<byte[], byte[]>> records = broker.readUntil("jar.reports", Duration.ofSeconds(20),
                    read -> read.size() >= 7);
            assertThat(records).hasSize(7);
            Set<String> accepted = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                JobReport report = JobReport.parse(r.value());
                for (JobReport.Recipient x : report.recipients()) {
                    if (x.status() == JobReport.Status.ACCEPTED) {
                        assertThat(accepted.add(x.address())).as("accepted once: " + x.address()).isTrue();
                    } else {
                        assertThat(x.address()).isEqualTo("nobody@example.net");
                        assertThat(x.code()).isEqualTo(550);
                    }
                }
            }
            assertThat(accepted).containsExactlyInAnyOrderElementsOf(all);
            Set<String> received = new HashSet<>();
            smtp.messages().forEach(m -> received.addAll(m.recipients()));
            assertThat(received).containsExactlyInAnyOrderElementsOf(all);
        }
    }

    @Test
    void ctrlCStopsTheWorkerWhichExitsWithTheStatusItPrints() throws Exception {
        broker.createTopics(1, "int.jobs", "int.jobs.retry", "int.reports");
        try (SubethaSmtpServer smtp = SubethaSmtpServer.builder().start()) {
            PackagedCli.Running worker = new PackagedCli(dir).command("worker", "--bootstrap-servers",
                    broker.bootstrapServers(), "--jobs-topic", "int.jobs", "--reports-topic", "int.reports",
                    "--group", "int", "--worker-id", "int-worker", "--server", "127.0.0.1:" + smtp.port(),
                    "--tls", "none").start();
            worker.awaitOutput("the worker's start line", text -> text.contains("reactive-smtp worker: "),
                    Duration.ofSeconds(60));
            worker.interrupt();
            PackagedCli.Result end = worker.awaitExit(Duration.ofSeconds(90));
            end.assertNoLinkageError();
            java.util.regex.Matcher printed = java.util.regex.Pattern.compile("exit status (\\d+)").matcher(end.out());
            assertThat(printed.find()).as(end.toString()).isTrue();
            // No job came, so nothing was accepted: the summary says 4, and so must the process (not 130).
            assertThat(end.code()).as(end.toString()).isEqualTo(Integer.parseInt(printed.group(1)));
        }
    }
}
