package io.reactivesmtp.kafka;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import io.reactivesmtp.reactor.OutgoingMessage;
import io.reactivesmtp.reactor.SmtpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A member of a group of senders on Kafka: consumes {@link MailJob mail jobs} from a jobs topic (and its retry
 * topic), sends them through one shared {@link SmtpClient}, writes one {@link JobReport} per job record to the
 * reports topic, and commits a job's offset only once its report is acknowledged by the broker.
 *
 * <pre>{@code
 * try (SmtpClient client = ...;
 *      KafkaSmtpWorker worker = KafkaSmtpWorker.create(client, KafkaWorkerOptions.builder()
 *              .bootstrapServers("kafka:9092").groupId("mail-senders")
 *              .jobsTopic("mail.jobs").reportsTopic("mail.reports").build()).start()) {
 *     worker.awaitTermination(Duration.ofDays(365));
 * }
 * }</pre>
 *
 * <h2>Threads and backpressure</h2>
 * One thread (started by {@link #start()}) owns the consumer: it polls, parses, starts sends, writes reports and
 * commits. Sends complete on the client's event loop, which only queues the result for the poll thread: nothing
 * Kafka-related ever runs on an event loop. Each partition has at most
 * {@link KafkaWorkerOptions#maxInFlightPerPartition()} jobs taken and not done; reached, the partition is paused and
 * the consumer sought back to the first record not taken, so nothing is buffered beyond what one poll returned.
 *
 * <h2>Delivery guarantee</h2>
 * At least once. The committed offset of a partition is the lowest job offset whose report is not acknowledged;
 * its metadata names the reports-partition and retry-partition offsets from which the reports and retry jobs of all
 * later jobs can be read. A new owner reads them first: a job with a report is committed without being sent again, a
 * recipient whose acceptance a report recorded is never sent to again by a later attempt of that job, and a recipient
 * already handed to a retry job is left to it. What can still be sent twice is a job whose
 * final 250 arrived and whose report was not yet acknowledged when its worker died (or when a revoked partition's
 * job was abandoned after {@link KafkaWorkerOptions#revokeTimeout()}). Reports go to the reports-topic partition
 * with the number of the job's partition, so the jobs, retry and reports topics must have the same partition count
 * ({@link #start()} checks).
 *
 * <h2>Transient failures</h2>
 * The recipients that failed transiently (or got no verdict from a retryable error) are written as a retry job
 * (same id, next attempt, {@code notBefore} after the backoff) to the retry topic, before the report. A retry
 * partition whose next job is not due is paused until it is, and only that partition: jobs partitions go on.
 * After {@link KafkaWorkerOptions#maxAttempts()} the failure is final and reported.
 */
public final class KafkaSmtpWorker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(KafkaSmtpWorker.class.getName());
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(10);

    private final KafkaWorkerOptions options;
    private final Function<OutgoingMessage, Mono<SendReport>> sender;
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final Consumer<byte[], byte[]> reportsReader;
    private final Clock clock;
    private final Queue<Runnable> events = new ConcurrentLinkedQueue<>();
    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Throwable failure;
    private volatile Thread thread;
    private Instant lastCommit = Instant.EPOCH;

    KafkaSmtpWorker(KafkaWorkerOptions options, Function<OutgoingMessage, Mono<SendReport>> sender,
            Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
            Consumer<byte[], byte[]> reportsReader, Clock clock) {
        this.options = Objects.requireNonNull(options, "options");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.producer = Objects.requireNonNull(producer, "producer");
        this.reportsReader = Objects.requireNonNull(reportsReader, "reportsReader");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Creates a worker and its Kafka clients (nothing connects before {@link #start()}). The client is shared, not
     * owned: dispose it after the worker. Its own retry policy should be {@code RetryPolicy.NONE}: retries go
     * through the retry topic.
     *
     * @param client the SMTP client
     * @param options the worker's settings
     * @return the worker
     */
    public static KafkaSmtpWorker create(SmtpClient client, KafkaWorkerOptions options) {
        Objects.requireNonNull(client, "client");
        return new KafkaSmtpWorker(options, client::send, new KafkaConsumer<>(consumerConfig(options)),
                new KafkaProducer<>(producerConfig(options)), new KafkaConsumer<>(readerConfig(options)),
                Clock.systemUTC());
    }

    static Properties consumerConfig(KafkaWorkerOptions o) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, o.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "reactive-smtp-worker-" + o.workerId());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        // A partition resumed after backpressure is fetched again only when the fetch in flight returns; with the
        // default 500 ms wait on idle partitions (a retry partition usually is) every pause would cost that much.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        // A revoke may wait for in-flight jobs, an assignment reads reports: both inside poll().
        long maxPoll = Math.max(300_000L, o.revokeTimeout().plus(o.loadTimeout()).plusSeconds(60).toMillis());
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, maxPoll));
        p.putAll(o.consumerProperties());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    static Properties producerConfig(KafkaWorkerOptions o) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "reactive-smtp-reports-" + o.workerId());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        p.putAll(o.producerProperties());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    static Properties readerConfig(KafkaWorkerOptions o) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "reactive-smtp-report-reader-" + o.workerId());
        for (Map.Entry<String, Object> e : o.consumerProperties().entrySet()) {
            if (e.getKey().startsWith("security.") || e.getKey().startsWith("ssl.") || e.getKey().startsWith("sasl.")) {
                p.put(e.getKey(), e.getValue());
            }
        }
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /**
     * Checks the topics, subscribes and starts the poll thread.
     *
     * @return this worker
     * @throws IllegalStateException when a topic is missing or the partition counts differ
     */
    public KafkaSmtpWorker start() {
        if (thread != null) {
            throw new IllegalStateException("worker already started");
        }
        checkTopics();
        Thread t = new Thread(this::run, "reactive-smtp-kafka-worker");
        thread = t;
        t.start();
        return this;
    }

    private void checkTopics() {
        int jobs = partitionCount(options.jobsTopic());
        int retry = partitionCount(options.retryTopic());
        int reports = partitionCount(options.reportsTopic());
        if (jobs != retry || jobs != reports) {
            throw new IllegalStateException("the jobs, retry and reports topics must have the same partition count"
                    + " (a job's report goes to the reports partition of its number): " + options.jobsTopic() + " has "
                    + jobs + ", " + options.retryTopic() + " " + retry + ", " + options.reportsTopic() + " " + reports);
        }
    }

    private int partitionCount(String topic) {
        List<PartitionInfo> info;
        try {
            info = consumer.partitionsFor(topic, options.loadTimeout());
        } catch (KafkaException e) {
            throw new IllegalStateException("cannot read the partitions of topic " + topic + " at "
                    + options.bootstrapServers() + ": " + e, e);
        }
        if (info == null || info.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist at " + options.bootstrapServers());
        }
        return info.size();
    }

    /**
     * Asks the worker to stop: it stops taking jobs, lets those in flight finish (at most
     * {@link KafkaWorkerOptions#revokeTimeout()}), commits and closes its Kafka clients. Returns at once.
     */
    public void stop() {
        if (stopping.compareAndSet(false, true)) {
            consumer.wakeup();
        }
    }

    /**
     * @param timeout how long to wait
     * @return true when the worker has ended
     * @throws InterruptedException if interrupted
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** @return why the worker ended on its own (a Kafka error, a report that could not be written), if it did */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** @return jobs taken and not done, over all partitions */
    public int inFlight() {
        return inFlight.get();
    }

    /** Stops and waits for the end: the in-flight jobs' revoke timeout plus 30 s at most. */
    @Override
    public void close() {
        stop();
        if (thread == null) {
            closeClients();
            return;
        }
        try {
            if (!awaitTermination(options.revokeTimeout().plusSeconds(30))) {
                LOG.log(System.Logger.Level.WARNING, "worker did not stop in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The poll loop; runs on the worker's thread (package-private for the unit tests, which drive it). */
    void run() {
        try {
            consumer.subscribe(List.of(options.jobsTopic(), options.retryTopic()), new Rebalance());
            while (!stopping.get() && failure == null) {
                pollOnce();
            }
        } catch (WakeupException e) {
            // stop() was called
        } catch (RuntimeException | Error e) {
            failure = e;
            LOG.log(System.Logger.Level.ERROR, "worker failed: " + e, e);
        } finally {
            try {
                if (failure == null) {
                    finish(new ArrayList<>(partitions.keySet()));
                } else {
                    abandon(new ArrayList<>(partitions.keySet()));
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "final commit failed: " + e, e);
            }
            closeClients();
            terminated.countDown();
        }
    }

    /** One turn of the loop: results, due retry partitions, commits, then one poll. */
    void pollOnce() {
        runEvents();
        resumeDue();
        maybeCommit(false);
        if (failure != null) {
            return;
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
        for (TopicPartition tp : records.partitions()) {
            PartitionState state = partitions.get(tp);
            if (state == null) {
                continue;
            }
            for (ConsumerRecord<byte[], byte[]> record : records.records(tp)) {
                if (!take(state, record)) {
                    break;
                }
            }
        }
    }

    private void closeClients() {
        for (AutoCloseable c : List.<AutoCloseable>of(consumer, producer, reportsReader)) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing a Kafka client failed: " + e);
            }
        }
    }

    private void post(Runnable event) {
        events.add(event);
    }

    void runEvents() {
        Runnable e;
        while ((e = events.poll()) != null) {
            e.run();
        }
    }

    // ---------------------------------------------------------------- taking a job

    /** @return false when the partition was paused at this record (the rest of the batch is dropped, refetched later) */
    private boolean take(PartitionState state, ConsumerRecord<byte[], byte[]> record) {
        TopicPartition tp = state.tp;
        long offset = record.offset();
        if (state.progress.inFlight() >= options.maxInFlightPerPartition()) {
            consumer.seek(tp, offset);
            consumer.pause(List.of(tp));
            state.backpressured = true;
            return false;
        }
        MailJob job;
        try {
            job = MailJob.parse(record.value());
        } catch (InvalidJobException e) {
            start(state, offset);
            JobReport.Source src = new JobReport.Source(tp.topic(), tp.partition(), offset);
            writeReport(state, offset, -1, new JobReport(null, src, 1, JobReport.Outcome.INVALID, List.of(), null,
                    e.getMessage(), options.workerId(), clock.millis()));
            return true;
        }
        Instant notBefore = job.notBefore().orElse(null);
        if (notBefore != null && notBefore.isAfter(clock.instant())) {
            consumer.seek(tp, offset);
            consumer.pause(List.of(tp));
            state.dueAt = notBefore;
            return false;
        }
        start(state, offset);
        if (state.index.reportOffset(offset) >= 0) {
            // Replay of a job whose report is written: done, nothing sent.
            done(state, offset, -1, -1);
            options.listener().onReplaySkipped(job.id(), tp, offset);
            return true;
        }
        Set<String> accepted = state.index.accepted(job.id());
        // A retry job written for this one before its worker died (its report never made it): not sent again.
        ReportIndex.RetryWritten handed = state.index.retry(offset);
        Set<String> handedOver = handed == null ? Set.of() : new HashSet<>(handed.job().recipients());
        List<String> already = new ArrayList<>();
        List<MailAddress> toSend = new ArrayList<>();
        for (String r : job.recipients()) {
            if (accepted.contains(r)) {
                already.add(r);
            } else if (!handedOver.contains(r)) {
                toSend.add(MailAddress.of(r));
            }
        }
        InFlightJob j = new InFlightJob(state, offset, job, already, handed);
        state.jobs.put(offset, j);
        if (toSend.isEmpty()) {
            complete(j, Map.of(), List.of(), null);
            return true;
        }
        OutgoingMessage message = OutgoingMessage.of(job.id(), job.envelope().withRecipients(toSend),
                MessageContent.of(job.content()));
        Mono<SendReport> send;
        try {
            send = sender.apply(message);
        } catch (RuntimeException e) {
            onSent(j, null, e);
            return true;
        }
        // Runs on the client's event loop: only queue the result for the poll thread.
        j.send = send.subscribe(r -> post(() -> onSent(j, r, null)), e -> post(() -> onSent(j, null, e)));
        return true;
    }

    private void start(PartitionState state, long offset) {
        state.progress.start(offset);
        inFlight.incrementAndGet();
    }

    private void done(PartitionState state, long offset, long reportOffset, long retryOffset) {
        state.progress.done(offset, reportOffset, retryOffset);
        inFlight.decrementAndGet();
        if (state.backpressured && state.progress.inFlight() < options.maxInFlightPerPartition()) {
            state.backpressured = false;
            if (state.dueAt == null && partitions.get(state.tp) == state) {
                consumer.resume(List.of(state.tp));
            }
        }
    }

    private void resumeDue() {
        Instant now = clock.instant();
        for (PartitionState state : partitions.values()) {
            if (state.dueAt != null && !now.isBefore(state.dueAt)) {
                state.dueAt = null;
                if (!state.backpressured) {
                    consumer.resume(List.of(state.tp));
                }
            }
        }
    }

    // ---------------------------------------------------------------- results, retries, reports

    private void onSent(InFlightJob j, SendReport report, Throwable error) {
        if (j.abandoned) {
            return;
        }
        j.send = null;
        Map<String, JobReport.Recipient> lines = new LinkedHashMap<>();
        List<String> retryable = new ArrayList<>();
        String errorText = null;
        if (report != null) {
            for (RecipientResult r : report.recipients()) {
                decide(lines, retryable, r);
            }
        } else {
            SmtpException e = error instanceof SmtpException ? (SmtpException) error
                    : new SmtpConnectionException("message not sent: " + error, error, null);
            errorText = e.getMessage();
            boolean unknown = e instanceof SmtpUnknownOutcomeException;
            SendReport partial = e.partialReport().orElse(null);
            Map<String, RecipientResult> decided = new HashMap<>();
            if (partial != null) {
                for (RecipientResult r : partial.recipients()) {
                    decided.put(r.address().toString(), r);
                }
            }
            for (String address : j.job.recipients()) {
                if (j.alreadyAccepted.contains(address)
                        || (j.handed != null && j.handed.job().recipients().contains(address))) {
                    continue;
                }
                RecipientResult r = decided.get(address);
                if (r != null && (r.status() == RecipientResult.Status.ACCEPTED
                        || r.status() == RecipientResult.Status.PERMANENT_FAILURE
                        || (!unknown && r.status() == RecipientResult.Status.TRANSIENT_FAILURE))) {
                    decide(lines, retryable, r);
                } else if (unknown) {
                    lines.put(address, new JobReport.Recipient(address, JobReport.Status.UNKNOWN, 0, null,
                            "sent, no reply to the final dot: " + e.getMessage()));
                } else if (e.isRetryable()) {
                    retryable.add(address);
                    lines.put(address, new JobReport.Recipient(address, JobReport.Status.UNDETERMINED, 0, null,
                            e.getMessage()));
                } else {
                    lines.put(address, new JobReport.Recipient(address, JobReport.Status.UNDETERMINED, 0, null,
                            e.getMessage()));
                }
            }
        }
        complete(j, lines, retryable, errorText);
    }

    private static void decide(Map<String, JobReport.Recipient> lines, List<String> retryable, RecipientResult r) {
        String address = r.address().toString();
        JobReport.Status status;
        switch (r.status()) {
            case ACCEPTED:
                status = JobReport.Status.ACCEPTED;
                break;
            case PERMANENT_FAILURE:
                status = JobReport.Status.PERMANENT_FAILURE;
                break;
            case TRANSIENT_FAILURE:
                status = JobReport.Status.TRANSIENT_FAILURE;
                break;
            default:
                status = JobReport.Status.UNDETERMINED;
        }
        if (status == JobReport.Status.TRANSIENT_FAILURE || status == JobReport.Status.UNDETERMINED) {
            retryable.add(address);
        }
        lines.put(address, new JobReport.Recipient(address, status, r.code(), r.enhancedStatus().orElse(null),
                r.text()));
    }

    /** Writes the retry job (when there is something to retry and attempts are left), then the report. */
    private void complete(InFlightJob j, Map<String, JobReport.Recipient> decided, List<String> retryable,
            String error) {
        PartitionState state = j.state;
        boolean retry = !retryable.isEmpty() && j.job.attempt() < options.maxAttempts();
        List<JobReport.Recipient> lines = new ArrayList<>();
        for (String address : j.job.recipients()) {
            if (j.alreadyAccepted.contains(address)) {
                lines.add(new JobReport.Recipient(address, JobReport.Status.ALREADY_ACCEPTED, 0, null,
                        "accepted in an earlier report of job " + j.job.id()));
                continue;
            }
            if (j.handed != null && j.handed.job().recipients().contains(address)) {
                lines.add(new JobReport.Recipient(address, JobReport.Status.RETRY_SCHEDULED, 0, null,
                        "handed to the retry job at " + options.retryTopic() + "-" + state.tp.partition() + "@"
                        + j.handed.offset() + " by an earlier attempt of this record"));
                continue;
            }
            JobReport.Recipient line = decided.get(address);
            if (line == null) {
                line = new JobReport.Recipient(address, JobReport.Status.UNDETERMINED, 0, null, "no result");
            }
            if (retry && retryable.contains(address)) {
                line = new JobReport.Recipient(address, JobReport.Status.RETRY_SCHEDULED, line.code(),
                        line.enhancedStatus(), line.text());
            }
            lines.add(line);
        }
        JobReport.Outcome outcome = outcome(lines);
        JobReport.Source src = new JobReport.Source(state.tp.topic(), state.tp.partition(), j.offset);
        if (!retry) {
            JobReport.Retry earlier = j.handed == null ? null : new JobReport.Retry(options.retryTopic(),
                    state.tp.partition(), j.handed.offset(), j.handed.job().attempt(),
                    j.handed.job().notBefore().map(Instant::toEpochMilli).orElse(0L));
            writeReport(state, j.offset, -1, new JobReport(j.job.id(), src, j.job.attempt(), outcome, lines, earlier,
                    error, options.workerId(), clock.millis()));
            return;
        }
        Instant notBefore = clock.instant().plus(options.backoff(j.job.attempt()));
        MailJob next = j.job.retry(retryable, notBefore, src);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(options.retryTopic(), state.tp.partition(),
                options.keys().key(next), next.toBytes());
        producer.send(record, (md, ex) -> post(() -> {
            if (j.abandoned) {
                return;
            }
            if (ex != null) {
                fail("writing the retry job of " + j.job.id() + " to " + options.retryTopic() + " failed", ex);
                return;
            }
            JobReport.Retry r = new JobReport.Retry(md.topic(), md.partition(), md.offset(), next.attempt(),
                    notBefore.toEpochMilli());
            writeReport(state, j.offset, md.offset(), new JobReport(j.job.id(), src, j.job.attempt(), outcome, lines, r, error,
                    options.workerId(), clock.millis()));
        }));
    }

    static JobReport.Outcome outcome(List<JobReport.Recipient> lines) {
        int accepted = 0;
        boolean retrying = false;
        boolean noVerdict = false;
        for (JobReport.Recipient r : lines) {
            switch (r.status()) {
                case ACCEPTED:
                case ALREADY_ACCEPTED:
                    accepted++;
                    break;
                case RETRY_SCHEDULED:
                    retrying = true;
                    break;
                case UNDETERMINED:
                case UNKNOWN:
                    noVerdict = true;
                    break;
                default:
                    break;
            }
        }
        if (retrying) {
            return JobReport.Outcome.RETRYING;
        }
        if (accepted == lines.size()) {
            return JobReport.Outcome.DELIVERED;
        }
        if (accepted > 0) {
            return JobReport.Outcome.PARTIAL;
        }
        return noVerdict ? JobReport.Outcome.FAILED : JobReport.Outcome.REJECTED;
    }

    private void writeReport(PartitionState state, long offset, long retryOffset, JobReport report) {
        byte[] key = report.jobId() == null ? null : report.jobId().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(options.reportsTopic(), state.tp.partition(),
                key, report.toBytes());
        producer.send(record, (md, ex) -> post(() -> {
            if (ex != null) {
                fail("writing the report of " + report.source() + " to " + options.reportsTopic() + " failed", ex);
                return;
            }
            InFlightJob j = state.jobs.remove(offset);
            if ((j != null && j.abandoned) || partitions.get(state.tp) != state) {
                return;
            }
            done(state, offset, md.offset(), retryOffset);
            options.listener().onReport(report);
        }));
    }

    private void fail(String what, Exception e) {
        if (failure == null) {
            failure = new KafkaException(what + ": " + e, e);
            LOG.log(System.Logger.Level.ERROR, what + ": " + e, e);
        }
    }

    // ---------------------------------------------------------------- commits and rebalances

    private void maybeCommit(boolean force) {
        Instant now = clock.instant();
        if (!force && Duration.between(lastCommit, now).compareTo(options.commitInterval()) < 0) {
            return;
        }
        lastCommit = now;
        commit(partitions.keySet());
    }

    private void commit(Collection<TopicPartition> tps) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : tps) {
            PartitionState state = partitions.get(tp);
            if (state == null) {
                continue;
            }
            OptionalLong c = state.progress.committable();
            if (c.isPresent()) {
                long reports = state.progress.reportsFrom(c.getAsLong());
                long retries = state.progress.retriesFrom(c.getAsLong());
                offsets.put(tp, new OffsetAndMetadata(c.getAsLong(), PartitionProgress.metadata(reports, retries)));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        try {
            try {
                consumer.commitSync(offsets);
            } catch (WakeupException e) {
                // stop() woke the consumer while it was not polling: the wakeup is spent, commit now.
                consumer.commitSync(offsets);
            }
        } catch (CommitFailedException | RebalanceInProgressException e) {
            // The rebalance under way revokes or keeps these partitions; the next commit tries again.
            LOG.log(System.Logger.Level.INFO, "commit deferred by a rebalance: " + e.getMessage());
            return;
        }
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
            PartitionState state = partitions.get(e.getKey());
            state.progress.committed(e.getValue().offset());
            state.index.forgetBelow(e.getValue().offset());
        }
    }

    /** Lets the partitions' in-flight jobs finish (bounded), abandons the rest, commits, forgets them. */
    private int finish(Collection<TopicPartition> tps) {
        long deadline = System.nanoTime() + options.revokeTimeout().toNanos();
        while (failure == null && System.nanoTime() < deadline && inFlight(tps) > 0) {
            runEvents();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        runEvents();
        int abandoned = 0;
        for (TopicPartition tp : tps) {
            PartitionState state = partitions.get(tp);
            if (state != null) {
                abandoned += state.abandonAll();
            }
        }
        if (failure == null) {
            commit(tps);
        }
        forget(tps);
        return abandoned;
    }

    private void abandon(Collection<TopicPartition> tps) {
        for (TopicPartition tp : tps) {
            PartitionState state = partitions.get(tp);
            if (state != null) {
                state.abandonAll();
            }
        }
        forget(tps);
    }

    private void forget(Collection<TopicPartition> tps) {
        for (TopicPartition tp : tps) {
            PartitionState state = partitions.remove(tp);
            if (state != null) {
                inFlight.addAndGet(-state.progress.inFlight());
            }
        }
    }

    private int inFlight(Collection<TopicPartition> tps) {
        int n = 0;
        for (TopicPartition tp : tps) {
            PartitionState state = partitions.get(tp);
            if (state != null) {
                n += state.progress.inFlight();
            }
        }
        return n;
    }

    /** Reads the reports of the partition's uncommitted jobs, then owns it. */
    void assign(Collection<TopicPartition> tps) {
        if (tps.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(tps), options.loadTimeout());
        Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(tps, options.loadTimeout());
        for (TopicPartition tp : tps) {
            OffsetAndMetadata c = committed.get(tp);
            long from = c != null ? c.offset() : beginnings.getOrDefault(tp, 0L);
            OptionalLong reportsFrom = c != null ? PartitionProgress.parseMetadata(c.metadata()) : OptionalLong.empty();
            OptionalLong retriesFrom = c != null ? PartitionProgress.parseRetries(c.metadata()) : OptionalLong.empty();
            ReportIndex index = new ReportIndex(tp.topic(), tp.partition(), from);
            TopicPartition reports = new TopicPartition(options.reportsTopic(), tp.partition());
            long reportsEnd = readLog(reports, reportsFrom, (value, at) -> index.add(JobReport.parse(value), at));
            TopicPartition retries = new TopicPartition(options.retryTopic(), tp.partition());
            long retriesEnd = readLog(retries, retriesFrom, (value, at) -> {
                try {
                    index.addRetry(MailJob.parse(value), at);
                } catch (InvalidJobException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            });
            PartitionProgress progress = new PartitionProgress(from, reportsEnd, retriesEnd);
            for (Map.Entry<Long, Long> e : index.reportOffsets().entrySet()) {
                progress.known(e.getKey(), e.getValue());
            }
            for (Map.Entry<Long, ReportIndex.RetryWritten> e : index.retries().entrySet()) {
                progress.knownRetry(e.getKey(), e.getValue().offset());
            }
            partitions.put(tp, new PartitionState(tp, progress, index));
            if (index.size() > 0) {
                LOG.log(System.Logger.Level.INFO, tp + ": " + index.size() + " job(s) past offset " + from
                        + " already reported; their replay will not send");
            }
        }
        options.listener().onAssigned(tps);
    }

    /** Reads one partition (reports or retry jobs) from an offset (or its start) to its end, within the load timeout. */
    private long readLog(TopicPartition log, OptionalLong from, java.util.function.ObjLongConsumer<byte[]> record) {
        long deadline = System.nanoTime() + options.loadTimeout().toNanos();
        reportsReader.assign(List.of(log));
        if (from.isPresent()) {
            reportsReader.seek(log, from.getAsLong());
        } else {
            reportsReader.seekToBeginning(List.of(log));
        }
        long end = reportsReader.endOffsets(List.of(log), options.loadTimeout()).get(log);
        while (reportsReader.position(log, options.loadTimeout()) < end) {
            if (System.nanoTime() > deadline) {
                throw new KafkaException("reading " + log + " up to offset " + end + " took longer than "
                        + options.loadTimeout());
            }
            for (ConsumerRecord<byte[], byte[]> r : reportsReader.poll(Duration.ofMillis(100))) {
                if (r.offset() >= end) {
                    break;
                }
                try {
                    record.accept(r.value(), r.offset());
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "ignoring unreadable record at " + log + "@"
                            + r.offset() + ": " + e.getMessage());
                }
            }
        }
        reportsReader.unsubscribe();
        return end;
    }

    /** Revoked partitions: their in-flight jobs finish (bounded) or are abandoned, then they are committed. */
    void revoke(Collection<TopicPartition> revoked) {
        List<TopicPartition> owned = new ArrayList<>();
        for (TopicPartition tp : revoked) {
            if (partitions.containsKey(tp)) {
                owned.add(tp);
            }
        }
        if (owned.isEmpty()) {
            return;
        }
        int abandoned = finish(owned);
        if (abandoned > 0) {
            LOG.log(System.Logger.Level.WARNING, "revoked " + owned + ": " + abandoned
                    + " job(s) abandoned after " + options.revokeTimeout() + "; their new owner replays them");
        }
        options.listener().onRevoked(owned, abandoned);
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            revoke(revoked);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            // Another member may own them already: no commit, the new owner replays what is not reported.
            List<TopicPartition> owned = new ArrayList<>(lost);
            owned.retainAll(partitions.keySet());
            abandon(owned);
            options.listener().onRevoked(owned, 0);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            assign(assigned);
        }
    }

    /** One owned partition. */
    private static final class PartitionState {
        final TopicPartition tp;
        final PartitionProgress progress;
        final ReportIndex index;
        final Map<Long, InFlightJob> jobs = new HashMap<>();
        boolean backpressured;
        Instant dueAt;

        PartitionState(TopicPartition tp, PartitionProgress progress, ReportIndex index) {
            this.tp = tp;
            this.progress = progress;
            this.index = index;
        }

        int abandonAll() {
            int n = 0;
            for (InFlightJob j : jobs.values()) {
                j.abandoned = true;
                Disposable d = j.send;
                if (d != null) {
                    d.dispose();
                }
                n++;
            }
            jobs.clear();
            return n;
        }
    }

    /** One job taken and not done. */
    private static final class InFlightJob {
        final PartitionState state;
        final long offset;
        final MailJob job;
        final List<String> alreadyAccepted;
        final ReportIndex.RetryWritten handed;
        Disposable send;
        boolean abandoned;

        InFlightJob(PartitionState state, long offset, MailJob job, List<String> alreadyAccepted,
                ReportIndex.RetryWritten handed) {
            this.state = state;
            this.offset = offset;
            this.job = job;
            this.alreadyAccepted = alreadyAccepted;
            this.handed = handed;
        }
    }
}
