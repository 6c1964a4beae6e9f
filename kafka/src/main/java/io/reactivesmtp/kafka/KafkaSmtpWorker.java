package io.reactivesmtp.kafka;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.reactor.OutgoingMessage;
import io.reactivesmtp.reactor.SmtpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
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
    private final OwnedPartitions partitions = new OwnedPartitions();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicBoolean stopping = new AtomicBoolean();
    // The worker keeps its lifecycle, the poll loop and the taking of jobs; each other mechanism is a class of its
    // own, driven by this same thread: reading reports at assignment, committing, writing retry jobs and reports.
    private final PartitionRecovery recovery;
    private final OffsetCommitter commits;
    private final ReportWriter reports;
    private volatile Throwable failure;
    private volatile Thread thread;

    KafkaSmtpWorker(KafkaWorkerOptions options, Function<OutgoingMessage, Mono<SendReport>> sender,
            Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
            Consumer<byte[], byte[]> reportsReader, Clock clock) {
        this.options = Objects.requireNonNull(options, "options");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.producer = Objects.requireNonNull(producer, "producer");
        this.reportsReader = Objects.requireNonNull(reportsReader, "reportsReader");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.recovery = new PartitionRecovery(options, consumer, reportsReader);
        this.commits = new OffsetCommitter(consumer, options.commitInterval(), clock);
        this.reports = new ReportWriter(options, producer, clock, events::add, this::reportWritten, this::fail);
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
        return new KafkaSmtpWorker(options, client::send, new KafkaConsumer<>(KafkaClientConfig.consumer(options)),
                new KafkaProducer<>(KafkaClientConfig.producer(options)),
                new KafkaConsumer<>(KafkaClientConfig.reader(options)), Clock.systemUTC());
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
        KafkaClientConfig.checkTopics(consumer, options);
        Thread t = new Thread(this::run, "reactive-smtp-kafka-worker");
        thread = t;
        t.start();
        return this;
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
        return partitions.inFlight();
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
                    finish(partitions.names());
                } else {
                    abandon(partitions.names());
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
        commits.maybeCommit(partitions.all());
        if (failure != null) {
            return;
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
        for (TopicPartition tp : records.partitions()) {
            OwnedPartition state = partitions.get(tp);
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
    private boolean take(OwnedPartition state, ConsumerRecord<byte[], byte[]> record) {
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
            reports.invalid(state, offset, e.getMessage());
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
        OwnedPartition.Job j = state.admit(offset, job);
        List<MailAddress> toSend = j.toSend();
        if (toSend.isEmpty()) {
            reports.complete(j, Map.of(), List.of(), null);
            return true;
        }
        OutgoingMessage message = OutgoingMessage.of(job.id(), job.envelope().withRecipients(toSend),
                MessageContent.of(job.content()));
        Mono<SendReport> send;
        try {
            send = sender.apply(message);
        } catch (RuntimeException e) {
            reports.sent(j, null, e);
            return true;
        }
        // Runs on the client's event loop: only queue the result for the poll thread.
        j.send = send.subscribe(r -> post(() -> reports.sent(j, r, null)), e -> post(() -> reports.sent(j, null, e)));
        return true;
    }

    private void start(OwnedPartition state, long offset) {
        partitions.started(state, offset);
    }

    private void done(OwnedPartition state, long offset, long reportOffset, long retryOffset) {
        partitions.done(state, offset, reportOffset, retryOffset);
        if (state.backpressured && state.progress.inFlight() < options.maxInFlightPerPartition()) {
            state.backpressured = false;
            if (state.dueAt == null && partitions.owns(state)) {
                consumer.resume(List.of(state.tp));
            }
        }
    }

    private void resumeDue() {
        Instant now = clock.instant();
        for (OwnedPartition state : partitions.all()) {
            if (state.dueAt != null && !now.isBefore(state.dueAt)) {
                state.dueAt = null;
                if (!state.backpressured) {
                    consumer.resume(List.of(state.tp));
                }
            }
        }
    }

    /** A report is acknowledged: its job is done, unless it was abandoned or its partition is no longer owned. */
    private void reportWritten(OwnedPartition partition, long offset, long reportOffset, long retryOffset,
            JobReport report) {
        OwnedPartition.Job j = partition.jobs.remove(offset);
        if ((j != null && j.abandoned) || !partitions.owns(partition)) {
            return;
        }
        done(partition, offset, reportOffset, retryOffset);
        options.listener().onReport(report);
    }

    private void fail(String what, Exception e) {
        if (failure == null) {
            failure = new KafkaException(what + ": " + e, e);
            LOG.log(System.Logger.Level.ERROR, what + ": " + e, e);
        }
    }

    // ---------------------------------------------------------------- rebalances

    /** Lets the partitions' in-flight jobs finish (bounded), abandons the rest, commits, forgets them. */
    private int finish(Collection<TopicPartition> tps) {
        long deadline = System.nanoTime() + options.revokeTimeout().toNanos();
        while (failure == null && System.nanoTime() < deadline && partitions.inFlight(tps) > 0) {
            runEvents();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        runEvents();
        int abandoned = partitions.abandon(tps);
        if (failure == null) {
            commits.commit(partitions.owned(tps));
        }
        partitions.forget(tps);
        return abandoned;
    }

    private void abandon(Collection<TopicPartition> tps) {
        partitions.abandon(tps);
        partitions.forget(tps);
    }

    /** Reads the reports of the partition's uncommitted jobs, then owns it. */
    void assign(Collection<TopicPartition> tps) {
        if (tps.isEmpty()) {
            return;
        }
        partitions.add(recovery.recover(tps));
        options.listener().onAssigned(tps);
    }

    /** Revoked partitions: their in-flight jobs finish (bounded) or are abandoned, then they are committed. */
    void revoke(Collection<TopicPartition> revoked) {
        List<TopicPartition> owned = partitions.names(revoked);
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
            List<TopicPartition> owned = partitions.names(lost);
            abandon(owned);
            options.listener().onRevoked(owned, 0);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            assign(assigned);
        }
    }
}
