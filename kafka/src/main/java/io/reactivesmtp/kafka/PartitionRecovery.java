package io.reactivesmtp.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.ObjLongConsumer;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * Takes over assigned partitions: reads, from the offsets the commit's metadata names, the reports and retry
 * partitions of their numbers to their ends, so that a replayed job already reported or handed to a retry job is
 * not sent again ({@code FORMAT.md}, "Commits"). Runs on the poll thread, inside {@code poll()}.
 */
final class PartitionRecovery {

    private static final System.Logger LOG = System.getLogger(PartitionRecovery.class.getName());

    private final KafkaWorkerOptions options;
    private final Consumer<byte[], byte[]> consumer;
    private final Consumer<byte[], byte[]> reportsReader;

    /**
     * @param options the worker's settings (topics, load timeout)
     * @param consumer the group consumer, for the committed offsets
     * @param reportsReader a consumer of no group, to read the reports and retry partitions
     */
    PartitionRecovery(KafkaWorkerOptions options, Consumer<byte[], byte[]> consumer,
            Consumer<byte[], byte[]> reportsReader) {
        this.options = options;
        this.consumer = consumer;
        this.reportsReader = reportsReader;
    }

    /**
     * @param tps the partitions assigned
     * @return each partition, ready to take jobs from its committed offset
     * @throws KafkaException when a partition cannot be read within the load timeout
     */
    Map<TopicPartition, OwnedPartition> recover(Collection<TopicPartition> tps) {
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(tps), options.loadTimeout());
        Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(tps, options.loadTimeout());
        Map<TopicPartition, OwnedPartition> owned = new LinkedHashMap<>();
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
            owned.put(tp, new OwnedPartition(tp, progress, index));
            if (index.size() > 0) {
                LOG.log(System.Logger.Level.INFO, tp + ": " + index.size() + " job(s) past offset " + from
                        + " already reported; their replay will not send");
            }
        }
        return owned;
    }

    /** Reads one partition (reports or retry jobs) from an offset (or its start) to its end, within the load timeout. */
    private long readLog(TopicPartition log, OptionalLong from, ObjLongConsumer<byte[]> record) {
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
                    // A record torn or written by something else: reported, and the rest is still read.
                    LOG.log(System.Logger.Level.WARNING, "ignoring unreadable record at " + log + "@"
                            + r.offset() + ": " + e.getMessage());
                }
            }
        }
        reportsReader.unsubscribe();
        return end;
    }
}
