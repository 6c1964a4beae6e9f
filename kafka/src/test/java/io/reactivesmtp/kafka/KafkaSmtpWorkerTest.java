package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import io.reactivesmtp.reactor.OutgoingMessage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The worker's poll loop driven turn by turn against Kafka's MockConsumer and MockProducer, with sends the test
 * completes: backpressure, commit only after the report's acknowledgement, replays, retries.
 */
class KafkaSmtpWorkerTest {

    private static final TopicPartition JOBS = new TopicPartition("jobs", 0);
    private static final TopicPartition REPORTS = new TopicPartition("reports", 0);
    private static final TopicPartition RETRIES = new TopicPartition("jobs.retry", 0);
    private static final byte[] MESSAGE = "Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);

    private MockConsumer<byte[], byte[]> consumer;
    private MockConsumer<byte[], byte[]> reader;
    private MockProducer<byte[], byte[]> producer;
    private final List<OutgoingMessage> sent = new ArrayList<>();
    private final List<Sinks.One<SendReport>> sends = new ArrayList<>();
    private final List<JobReport> reported = new ArrayList<>();
    private KafkaSmtpWorker worker;

    @BeforeEach
    void setUp() {
        consumer = new MockConsumer<>("earliest");
        reader = new MockConsumer<>("earliest");
        producer = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private final List<Integer> abandonedOnRevoke = new ArrayList<>();

    private void start(int maxInFlight, Map<Long, JobReport> earlierReports, long committed) {
        start(maxInFlight, earlierReports, List.of());
    }

    private void start(int maxInFlight, Map<Long, JobReport> earlierReports, List<MailJob> earlierRetries) {
        List<byte[]> values = new ArrayList<>();
        for (JobReport r : earlierReports.values()) {
            values.add(r.toBytes());
        }
        startAfter(maxInFlight, values, earlierRetries);
    }

    /** Starts a worker assigned JOBS, whose reports partition holds these record values. */
    private void startAfter(int maxInFlight, List<byte[]> earlierReports, List<MailJob> earlierRetries) {
        KafkaWorkerOptions options = KafkaWorkerOptions.builder().bootstrapServers("unused:9092").groupId("g")
                .jobsTopic("jobs").reportsTopic("reports").workerId("t").maxInFlightPerPartition(maxInFlight)
                .maxAttempts(2).firstBackoff(Duration.ofSeconds(30)).commitInterval(Duration.ZERO)
                .revokeTimeout(Duration.ofMillis(1500))
                .listener(new WorkerListener() {
                    @Override
                    public void onReport(JobReport report) {
                        reported.add(report);
                    }

                    @Override
                    public void onRevoked(java.util.Collection<TopicPartition> partitions, int abandoned) {
                        abandonedOnRevoke.add(abandoned);
                    }
                })
                .build();
        worker = new KafkaSmtpWorker(options, message -> {
            Sinks.One<SendReport> sink = Sinks.one();
            sent.add(message);
            sends.add(sink);
            return sink.asMono();
        }, consumer, producer, reader, Clock.fixed(Instant.parse("2026-11-28T16:00:00Z"), ZoneOffset.UTC));
        consumer.assign(List.of(JOBS));
        consumer.updateBeginningOffsets(Map.of(JOBS, 0L));
        reader.updateBeginningOffsets(Map.of(REPORTS, 0L, RETRIES, 0L));
        reader.updateEndOffsets(Map.of(REPORTS, (long) earlierReports.size(), RETRIES, (long) earlierRetries.size()));
        // One record per poll of the reader: the reports partition is read first, then the retry partition.
        long at = 0;
        for (byte[] r : earlierReports) {
            long offset = at++;
            reader.schedulePollTask(() -> reader.addRecord(new ConsumerRecord<>("reports", 0, offset, null, r)));
        }
        at = 0;
        for (MailJob j : earlierRetries) {
            long offset = at++;
            reader.schedulePollTask(() -> reader.addRecord(new ConsumerRecord<>("jobs.retry", 0, offset, null, j.toBytes())));
        }
        worker.assign(List.of(JOBS));
    }

    private void addJobs(long from, int count) {
        for (long o = from; o < from + count; o++) {
            consumer.addRecord(new ConsumerRecord<>("jobs", 0, o, null, job(o).toBytes()));
        }
    }

    private static MailJob job(long offset) {
        return MailJob.create("job-" + offset, "a@example.com", List.of("r" + offset + "@example.org",
                "s" + offset + "@example.org"), MESSAGE, 1, null);
    }

    private static SendReport report(OutgoingMessage m, int... codes) {
        SendReport.Builder b = SendReport.builder().envelope(m.envelope());
        List<MailAddress> rcpts = m.envelope().recipients();
        for (int i = 0; i < rcpts.size(); i++) {
            b.recipient(RecipientResult.decided(rcpts.get(i), SmtpReply.of(codes[i], "reply " + codes[i]),
                    SmtpReply.of(250, "ok")));
        }
        return b.build();
    }

    private OffsetAndMetadata committed() {
        return consumer.committed(Set.of(JOBS)).get(JOBS);
    }

    @Test
    void pausesAPartitionAtItsInFlightBoundAndResumesWhenAReportIsAcknowledged() {
        start(2, Map.of(), 0);
        addJobs(0, 5);
        worker.pollOnce();
        assertThat(sent).hasSize(2);
        assertThat(consumer.paused()).containsExactly(JOBS);
        assertThat(consumer.position(JOBS)).as("sought back to the first job not taken").isEqualTo(2);

        sends.get(1).tryEmitValue(report(sent.get(1), 250, 250));
        worker.pollOnce();
        assertThat(producer.history()).hasSize(1);             // job 1's report, not yet acknowledged
        assertThat(consumer.paused()).containsExactly(JOBS);    // still two in flight until the ack
        assertThat(committed()).isNull();

        producer.completeNext();
        worker.pollOnce();
        assertThat(consumer.paused()).isEmpty();
        assertThat(committed()).as("job 0 is still sending: nothing committable").isNull();
        assertThat(reported).extracting(JobReport::jobId).containsExactly("job-1");

        addJobs(2, 3);                                          // the broker would fetch them again
        worker.pollOnce();
        assertThat(sent).hasSize(3);
        assertThat(consumer.paused()).containsExactly(JOBS);
        assertThat(consumer.position(JOBS)).isEqualTo(3);
    }

    @Test
    void commitsOnlyUpToTheFirstJobWhoseReportIsNotAcknowledged() {
        start(10, Map.of(), 0);
        addJobs(0, 3);
        worker.pollOnce();
        assertThat(sent).hasSize(3);
        sends.get(0).tryEmitValue(report(sent.get(0), 250, 250));
        sends.get(2).tryEmitValue(report(sent.get(2), 250, 550));
        worker.pollOnce();
        producer.completeNext();                                 // job 0's report acked (reports offset 0)
        worker.pollOnce();
        assertThat(committed().offset()).isEqualTo(1);
        assertThat(committed().metadata()).isEqualTo("reports=1;retries=0"); // later reports start after it
        producer.completeNext();                                 // job 2's report acked (reports offset 1)
        worker.pollOnce();
        assertThat(committed().offset()).as("job 1 still has no report").isEqualTo(1);
        assertThat(committed().metadata()).as("a new owner must read job 2's report").isEqualTo("reports=1;retries=0");
        sends.get(1).tryEmitValue(report(sent.get(1), 250, 250));
        worker.pollOnce();
        producer.completeNext();
        worker.pollOnce();
        assertThat(committed().offset()).isEqualTo(3);
        assertThat(committed().metadata()).isEqualTo("reports=3;retries=0");
        assertThat(reported).extracting(JobReport::outcome).containsExactly(JobReport.Outcome.DELIVERED,
                JobReport.Outcome.PARTIAL, JobReport.Outcome.DELIVERED);
    }

    @Test
    void aTornOrForeignRecordOnTheReportsTopicIsSkippedAndTheRestIsStillRead() {
        JobReport done = new JobReport("job-1", new JobReport.Source("jobs", 0, 1), 1, JobReport.Outcome.DELIVERED,
                List.of(new JobReport.Recipient("r1@example.org", JobReport.Status.ACCEPTED, 250, null, "ok")),
                null, null, "old", 0L);
        byte[] whole = done.toBytes();
        byte[] torn = java.util.Arrays.copyOf(whole, whole.length / 2);
        // A later writer's report: white space and fields this one does not know.
        byte[] later = ("{ \"v\": 1, \"jobId\": \"job-2\", \"source\": {\"topic\": \"jobs\", \"partition\": 0, "
                + "\"offset\": 2}, \"attempt\": 1, \"outcome\": \"DELIVERED\", \"recipients\": [], \"at\": 0, "
                + "\"trace\": {\"span\": \"x\"} }\n").getBytes(StandardCharsets.UTF_8);
        startAfter(10, List.of(torn, "not json".getBytes(StandardCharsets.UTF_8), whole, later), List.of());
        addJobs(0, 3);
        worker.pollOnce();
        assertThat(sent).extracting(m -> m.id()).as("job-1 and job-2 were reported before").containsExactly("job-0");
        assertThat(worker.failure()).isEmpty();
    }

    @Test
    void aReplayedJobWithAReportIsNotSentAndAcceptedRecipientsAreNotSentAgain() {
        JobReport done = new JobReport("job-1", new JobReport.Source("jobs", 0, 1), 1, JobReport.Outcome.DELIVERED,
                List.of(new JobReport.Recipient("r1@example.org", JobReport.Status.ACCEPTED, 250, null, "ok"),
                        new JobReport.Recipient("s1@example.org", JobReport.Status.ACCEPTED, 250, null, "ok")),
                null, null, "old", 0L);
        // An earlier attempt of job-2, read from another source, accepted one recipient.
        JobReport partly = new JobReport("job-2", new JobReport.Source("jobs.retry", 0, 9), 1,
                JobReport.Outcome.PARTIAL,
                List.of(new JobReport.Recipient("r2@example.org", JobReport.Status.ACCEPTED, 250, null, "ok")),
                null, null, "old", 0L);
        start(10, new java.util.LinkedHashMap<>(Map.of(1L, done, 2L, partly)), 0);
        addJobs(0, 3);
        worker.pollOnce();
        assertThat(sent).extracting(m -> m.id()).containsExactly("job-0", "job-2");
        assertThat(sent.get(1).envelope().recipients()).extracting(MailAddress::toString)
                .containsExactly("s2@example.org");
        sends.get(0).tryEmitValue(report(sent.get(0), 250, 250));
        sends.get(1).tryEmitValue(report(sent.get(1), 250));
        worker.pollOnce();
        producer.completeNext();
        producer.completeNext();
        worker.pollOnce();
        assertThat(producer.history()).as("no second report for job-1").hasSize(2);
        assertThat(reported.get(1).recipients()).extracting(JobReport.Recipient::status)
                .containsExactly(JobReport.Status.ALREADY_ACCEPTED, JobReport.Status.ACCEPTED);
        assertThat(reported.get(1).outcome()).isEqualTo(JobReport.Outcome.DELIVERED);
        assertThat(committed().offset()).isEqualTo(3);
    }

    @Test
    void transientFailuresBecomeARetryJobWrittenBeforeTheReport() throws Exception {
        start(10, Map.of(), 0);
        addJobs(0, 1);
        worker.pollOnce();
        sends.get(0).tryEmitValue(report(sent.get(0), 250, 451));
        worker.pollOnce();
        List<ProducerRecord<byte[], byte[]>> history = producer.history();
        assertThat(history).hasSize(1);
        assertThat(history.get(0).topic()).isEqualTo("jobs.retry");
        assertThat(history.get(0).partition()).isEqualTo(0);
        MailJob retry = MailJob.parse(history.get(0).value());
        assertThat(retry.id()).isEqualTo("job-0");
        assertThat(retry.attempt()).isEqualTo(2);
        assertThat(retry.recipients()).containsExactly("s0@example.org");
        assertThat(retry.notBefore()).contains(Instant.parse("2026-11-28T16:00:30Z"));
        assertThat(retry.parent()).contains(new JobReport.Source("jobs", 0, 0));
        assertThat(new String(history.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("example.org");
        producer.completeNext();
        worker.pollOnce();
        assertThat(producer.history()).hasSize(2);
        assertThat(committed()).as("the report is not acknowledged yet").isNull();
        producer.completeNext();
        worker.pollOnce();
        assertThat(reported.get(0).outcome()).isEqualTo(JobReport.Outcome.RETRYING);
        assertThat(reported.get(0).retryJob()).isPresent();
        assertThat(committed().offset()).isEqualTo(1);
        assertThat(committed().metadata()).isEqualTo("reports=1;retries=1");
    }

    @Test
    void errorsWithoutVerdictAreRetriedUnlessTheOutcomeIsUnknownOrAttemptsRanOut() {
        start(10, Map.of(), 0);
        addJobs(0, 2);
        consumer.addRecord(new ConsumerRecord<>("jobs", 0, 2, null, MailJob.create("last", "a@example.com",
                List.of("z@example.org"), MESSAGE, 2, null).toBytes()));
        worker.pollOnce();
        sends.get(0).tryEmitError(new SmtpConnectionException("connection refused", null, null));
        sends.get(1).tryEmitError(new SmtpUnknownOutcomeException("no reply to the final dot", null, null));
        sends.get(2).tryEmitError(new SmtpConnectionException("connection refused", null, null));
        worker.pollOnce();
        // job-0: a retry job then its report; job-1 and last (attempt 2 of 2): a final report each.
        producer.completeNext();
        producer.completeNext();
        producer.completeNext();
        worker.pollOnce();
        producer.completeNext();
        worker.pollOnce();
        assertThat(reported).hasSize(3);
        Map<String, JobReport> byId = new java.util.HashMap<>();
        reported.forEach(r -> byId.put(r.jobId(), r));
        assertThat(byId.get("job-0").outcome()).isEqualTo(JobReport.Outcome.RETRYING);
        assertThat(byId.get("job-1").outcome()).isEqualTo(JobReport.Outcome.FAILED);
        assertThat(byId.get("job-1").recipients()).extracting(JobReport.Recipient::status)
                .containsOnly(JobReport.Status.UNKNOWN);
        assertThat(byId.get("last").outcome()).isEqualTo(JobReport.Outcome.FAILED);
        assertThat(byId.get("last").recipients()).extracting(JobReport.Recipient::status)
                .containsOnly(JobReport.Status.UNDETERMINED);
        assertThat(byId.get("last").error()).isEqualTo("connection refused");
    }

    @Test
    void aJobNotYetDuePausesOnlyItsPartitionUntilDue() {
        start(10, Map.of(), 0);
        consumer.addRecord(new ConsumerRecord<>("jobs", 0, 0, null, MailJob.create("later", "a@example.com",
                List.of("z@example.org"), MESSAGE, 2, Instant.parse("2026-11-28T16:05:00Z")).toBytes()));
        worker.pollOnce();
        assertThat(sent).isEmpty();
        assertThat(consumer.paused()).containsExactly(JOBS);
        assertThat(consumer.position(JOBS)).isEqualTo(0);
    }

    @Test
    void aMalformedRecordIsReportedInvalidAndCommittedPast() {
        start(10, Map.of(), 0);
        consumer.addRecord(new ConsumerRecord<>("jobs", 0, 0, null, "{\"v\":1}".getBytes(StandardCharsets.UTF_8)));
        addJobs(1, 1);
        worker.pollOnce();
        assertThat(sent).hasSize(1);
        producer.completeNext();
        worker.pollOnce();
        assertThat(reported).hasSize(1);
        assertThat(reported.get(0).outcome()).isEqualTo(JobReport.Outcome.INVALID);
        assertThat(reported.get(0).error()).isEqualTo("job field \"id\" is missing");
        assertThat(committed().offset()).isEqualTo(1);
    }

    @Test
    void aRevokedPartitionFinishesWhatItCanWithinTheTimeoutAbandonsTheRestAndCommits() throws Exception {
        start(10, Map.of(), 0);
        addJobs(0, 2);
        worker.pollOnce();
        assertThat(sends).hasSize(2);
        // While the revoke waits: job 0 completes and its report is acknowledged; job 1 never completes.
        Thread helper = new Thread(() -> {
            try {
                Thread.sleep(100);
                sends.get(0).tryEmitValue(report(sent.get(0), 250, 250));
                long deadline = System.nanoTime() + 1_000_000_000L;
                while (!producer.completeNext() && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        helper.start();
        long started = System.nanoTime();
        worker.revoke(List.of(JOBS));
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        helper.join(5000);
        assertThat(tookMillis).as("bounded by the revoke timeout").isBetween(1400L, 4000L);
        assertThat(reported).extracting(JobReport::jobId).containsExactly("job-0");
        assertThat(abandonedOnRevoke).containsExactly(1);
        assertThat(committed().offset()).as("job 1 is replayed by the next owner").isEqualTo(1);
        assertThat(sends.get(1).currentSubscriberCount()).as("job 1's session cancelled").isZero();
        assertThat(worker.inFlight()).isZero();
        // A late result of the abandoned job writes nothing.
        sends.get(1).tryEmitValue(report(sent.get(1), 250, 250));
        worker.runEvents();
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void aReplayedJobWhoseRetryJobWasWrittenDoesNotSendToTheRecipientsHandedToIt() {
        // The worker before died after its retry job for job 0 was acknowledged, before job 0's report was.
        MailJob retry = job(0).retry(List.of("s0@example.org"), Instant.parse("2026-11-28T16:00:30Z"),
                new JobReport.Source("jobs", 0, 0));
        start(10, Map.of(), List.of(retry));
        addJobs(0, 1);
        worker.pollOnce();
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).envelope().recipients()).extracting(MailAddress::toString)
                .containsExactly("r0@example.org");
        sends.get(0).tryEmitValue(report(sent.get(0), 250));
        worker.pollOnce();
        assertThat(producer.history()).as("no second retry job, only the report").hasSize(1);
        assertThat(producer.history().get(0).topic()).isEqualTo("reports");
        producer.completeNext();
        worker.pollOnce();
        JobReport r = reported.get(0);
        assertThat(r.outcome()).isEqualTo(JobReport.Outcome.RETRYING);
        assertThat(r.recipients()).extracting(JobReport.Recipient::status)
                .containsExactly(JobReport.Status.ACCEPTED, JobReport.Status.RETRY_SCHEDULED);
        assertThat(r.retryJob()).contains(new JobReport.Retry("jobs.retry", 0, 0, 2,
                Instant.parse("2026-11-28T16:00:30Z").toEpochMilli()));
        assertThat(committed().offset()).isEqualTo(1);
        assertThat(committed().metadata()).as("nothing past offset 1 yet: the ends seen").isEqualTo("reports=1;retries=1");
    }
}
