package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Workers on a real broker (KRaft, in this JVM), sending to an SMTP sink that counts every acceptance. */
@Timeout(240)
class KafkaWorkerIT {

    static final byte[] MESSAGE = "From: news@example.com\r\nSubject: hello\r\n\r\nHello!\r\n".getBytes(StandardCharsets.US_ASCII);

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

    /** Jobs of 1 to 3 recipients, each job within one domain, over {@code domains} domains. */
    static List<MailJob> jobs(int count, int domains) {
        List<MailJob> jobs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<String> rcpts = new ArrayList<>();
            for (int r = 0; r <= i % 3; r++) {
                rcpts.add("user" + i + "." + r + "@domain" + (i % domains) + ".example");
            }
            jobs.add(MailJob.of("news@example.com", rcpts, MESSAGE));
        }
        return jobs;
    }

    static List<JobReport> reports(List<ConsumerRecord<byte[], byte[]>> records) {
        List<JobReport> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            out.add(JobReport.parse(r.value()));
        }
        return out;
    }

    @Test
    void threeWorkersOnSixPartitionsAcceptEveryRecipientExactlyOnce() throws Exception {
        broker.createTopics(6, "happy.jobs", "happy.jobs.retry", "happy.reports");
        List<MailJob> jobs = jobs(300, 24);
        int recipients = jobs.stream().mapToInt(j -> j.recipients().size()).sum();

        Map<String, Set<TopicPartition>> assigned = new ConcurrentHashMap<>();
        AtomicInteger reported = new AtomicInteger();
        try (CountingSmtpSink sink = new CountingSmtpSink()) {
            List<TestWorker> workers = new ArrayList<>();
            try {
                for (int w = 1; w <= 3; w++) {
                    String id = "w" + w;
                    workers.add(TestWorker.start(sink.port(),
                            TestWorker.options(broker.bootstrapServers(), "happy", "happy.jobs", "happy.reports"),
                            b -> b.workerId(id).maxInFlightPerPartition(4).listener(new WorkerListener() {
                                @Override
                                public void onAssigned(Collection<TopicPartition> partitions) {
                                    assigned.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).addAll(partitions);
                                }

                                @Override
                                public void onReport(JobReport report) {
                                    reported.incrementAndGet();
                                }
                            })));
                }
                // Every worker in the group before the jobs arrive, so that the three share them.
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (assigned.size() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(assigned.keySet()).as("workers with partitions").containsExactlyInAnyOrder("w1", "w2", "w3");
                broker.enqueue("happy.jobs", jobs);
                List<ConsumerRecord<byte[], byte[]>> records = broker.readUntil("happy.reports", Duration.ofSeconds(90),
                        read -> read.size() >= jobs.size());
                List<JobReport> reports = reports(records);
                assertThat(reports).hasSize(jobs.size());
                assertThat(reports).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(JobReport.Outcome.DELIVERED));
                // A report lives in the reports partition of its job's partition.
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    assertThat(JobReport.parse(r.value()).source().partition()).isEqualTo(r.partition());
                }
                Set<String> ids = new HashSet<>();
                reports.forEach(r -> ids.add(r.jobId()));
                assertThat(ids).hasSize(jobs.size());
                // Keyed by domain: one domain's jobs all in one partition.
                Map<String, Set<Integer>> partitionsOfDomain = new HashMap<>();
                for (JobReport r : reports) {
                    String domain = r.recipients().get(0).address().replaceAll(".*@", "");
                    partitionsOfDomain.computeIfAbsent(domain, k -> new HashSet<>()).add(r.source().partition());
                }
                assertThat(partitionsOfDomain).hasSize(24).allSatisfy((d, ps) -> assertThat(ps).hasSize(1));
                assertThat(sink.accepted()).hasSize(recipients).allSatisfy((r, n) -> assertThat(n).as(r).isEqualTo(1));
                // The three workers shared the jobs.
                assertThat(reports).extracting(JobReport::worker).contains("w1", "w2", "w3");
                for (TestWorker w : workers) {
                    assertThat(w.worker.failure()).isEmpty();
                }
            } finally {
                workers.forEach(TestWorker::close);
            }
            // Stopped gracefully: every partition committed to its end.
            Map<TopicPartition, OffsetAndMetadata> committed = broker.committed("happy");
            long total = 0;
            for (int p = 0; p < 6; p++) {
                OffsetAndMetadata c = committed.get(new TopicPartition("happy.jobs", p));
                assertThat(c).as("partition " + p).isNotNull();
                assertThat(c.metadata()).startsWith("reports=");
                total += c.offset();
            }
            assertThat(total).isEqualTo(jobs.size());
            assertThat(reported.get()).isEqualTo(jobs.size());
            System.out.println("happy path: " + jobs.size() + " jobs, " + recipients + " recipients, 3 workers, 6 partitions,"
                    + " each accepted once; assignments " + assigned);
        }
    }
}
