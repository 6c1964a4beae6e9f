package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Transient failures go through the retry topic while the jobs behind them on the same partition proceed; poison
 * records are reported INVALID and skipped.
 */
@Timeout(180)
class KafkaWorkerRetryIT {

    private static TestKafkaBroker broker;

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

    @Test
    void transientFailuresAreRetriedThroughTheTopicWithoutBlockingThePartition() throws Exception {
        // One partition: the retried job and the jobs behind it share it.
        broker.createTopics(1, "retry.jobs", "retry.jobs.retry", "retry.reports");
        MailJob first = MailJob.create("first", "news@example.com", List.of("temp@slow.example", "ok@slow.example"),
                KafkaWorkerIT.MESSAGE, 1, null);
        MailJob always = MailJob.create("always", "news@example.com", List.of("always@slow.example"),
                KafkaWorkerIT.MESSAGE, 1, null);
        List<MailJob> later = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            later.add(MailJob.create("later-" + i, "news@example.com", List.of("later" + i + "@fast.example"),
                    KafkaWorkerIT.MESSAGE, 1, null));
        }
        broker.send("retry.jobs", 0, null, first.toBytes());
        broker.send("retry.jobs", 0, null, "{not json".getBytes(StandardCharsets.UTF_8));
        broker.send("retry.jobs", 0, null, "{\"v\":2,\"id\":\"future\"}".getBytes(StandardCharsets.UTF_8));
        broker.send("retry.jobs", 0, null, always.toBytes());
        for (MailJob j : later) {
            broker.send("retry.jobs", 0, null, j.toBytes());
        }
        int expectedReports = 2 + 1 + 1 + 3 + later.size();

        try (CountingSmtpSink sink = new CountingSmtpSink().tempFailOnce("temp@slow.example")
                .tempFailAlways("always@slow.example")) {
            List<JobReport> reports = new ArrayList<>();
            TestWorker w = TestWorker.start(sink.port(),
                    TestWorker.options(broker.bootstrapServers(), "retry", "retry.jobs", "retry.reports"),
                    b -> b.workerId("r1").maxAttempts(3).firstBackoff(Duration.ofSeconds(4))
                            .maxBackoff(Duration.ofSeconds(4)).maxInFlightPerPartition(3));
            try {
                List<ConsumerRecord<byte[], byte[]>> records = broker.readUntil("retry.reports", Duration.ofSeconds(60),
                        read -> read.size() >= expectedReports);
                records.forEach(r -> reports.add(JobReport.parse(r.value())));
            } finally {
                w.close();
            }
            assertThat(w.worker.failure()).isEmpty();
            assertThat(reports).hasSize(expectedReports);
            Map<String, List<JobReport>> byJob = reports.stream().filter(r -> r.jobId() != null)
                    .collect(Collectors.groupingBy(JobReport::jobId));

            // The first attempt: one accepted, one handed to a retry job.
            JobReport first1 = byJob.get("first").get(0);
            assertThat(first1.attempt()).isEqualTo(1);
            assertThat(first1.outcome()).isEqualTo(JobReport.Outcome.RETRYING);
            assertThat(first1.recipients()).extracting(JobReport.Recipient::address, JobReport.Recipient::status,
                    JobReport.Recipient::code).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("temp@slow.example", JobReport.Status.RETRY_SCHEDULED, 451),
                    org.assertj.core.groups.Tuple.tuple("ok@slow.example", JobReport.Status.ACCEPTED, 250));
            assertThat(first1.retryJob()).hasValueSatisfying(r -> {
                assertThat(r.topic()).isEqualTo("retry.jobs.retry");
                assertThat(r.attempt()).isEqualTo(2);
            });
            // The retry: only the transient recipient, read from the retry topic.
            JobReport first2 = byJob.get("first").get(1);
            assertThat(first2.source().topic()).isEqualTo("retry.jobs.retry");
            assertThat(first2.attempt()).isEqualTo(2);
            assertThat(first2.outcome()).isEqualTo(JobReport.Outcome.DELIVERED);
            assertThat(first2.recipients()).extracting(JobReport.Recipient::address).containsExactly("temp@slow.example");

            // Not blocking: every later job of the same partition was reported before the retry was even due.
            long retryDue = first1.retryJob().get().notBefore();
            int retryPosition = reports.indexOf(first2);
            for (MailJob j : later) {
                JobReport r = byJob.get(j.id()).get(0);
                assertThat(r.outcome()).isEqualTo(JobReport.Outcome.DELIVERED);
                assertThat(r.at()).as(j.id() + " reported before the retry was due").isLessThan(retryDue);
                assertThat(reports.indexOf(r)).isLessThan(retryPosition);
            }

            // Attempts run out: the last report is final, with no retry.
            List<JobReport> alwaysReports = byJob.get("always");
            assertThat(alwaysReports).extracting(JobReport::attempt).containsExactly(1, 2, 3);
            assertThat(alwaysReports).extracting(JobReport::outcome).containsExactly(JobReport.Outcome.RETRYING,
                    JobReport.Outcome.RETRYING, JobReport.Outcome.REJECTED);
            assertThat(alwaysReports.get(2).recipients().get(0).status()).isEqualTo(JobReport.Status.TRANSIENT_FAILURE);
            assertThat(alwaysReports.get(2).retryJob()).isEmpty();

            // Poison records: reported, named, skipped.
            List<JobReport> invalid = reports.stream().filter(r -> r.outcome() == JobReport.Outcome.INVALID).toList();
            assertThat(invalid).extracting(JobReport::error).containsExactly(
                    "job is not valid JSON: byte 1: Unexpected character ('n' (code 110)): was expecting double-quote"
                    + " to start field name",
                    "job format version 2 is not supported (this worker reads 1)");
            assertThat(invalid).extracting(r -> r.source().offset()).containsExactly(1L, 2L);

            assertThat(sink.accepted()).containsEntry("temp@slow.example", 1).containsEntry("ok@slow.example", 1)
                    .doesNotContainKey("always@slow.example");
            assertThat(sink.accepted()).hasSize(2 + later.size()).allSatisfy((r, n) -> assertThat(n).isEqualTo(1));

            Map<TopicPartition, OffsetAndMetadata> committed = broker.committed("retry");
            assertThat(committed.get(new TopicPartition("retry.jobs", 0)).offset()).isEqualTo(4 + later.size());
            assertThat(committed.get(new TopicPartition("retry.jobs.retry", 0)).offset()).isEqualTo(3);
        }
    }
}
