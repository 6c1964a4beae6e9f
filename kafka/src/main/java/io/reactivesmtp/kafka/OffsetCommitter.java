package io.reactivesmtp.kafka;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Commits owned partitions up to their lowest job whose report is not acknowledged, with the reports and retry
 * offsets a new owner must read from as metadata ({@code FORMAT.md}, "Commits"). Runs on the poll thread.
 */
final class OffsetCommitter {

    private static final System.Logger LOG = System.getLogger(OffsetCommitter.class.getName());

    private final Consumer<byte[], byte[]> consumer;
    private final Duration interval;
    private final Clock clock;
    private Instant lastCommit = Instant.EPOCH;

    /**
     * @param consumer the group consumer
     * @param interval the least time between two periodic commits
     * @param clock the worker's clock
     */
    OffsetCommitter(Consumer<byte[], byte[]> consumer, Duration interval, Clock clock) {
        this.consumer = consumer;
        this.interval = interval;
        this.clock = clock;
    }

    /** Commits every owned partition, unless the last periodic commit is more recent than the interval. */
    void maybeCommit(Collection<OwnedPartition> owned) {
        Instant now = clock.instant();
        if (Duration.between(lastCommit, now).compareTo(interval) < 0) {
            return;
        }
        lastCommit = now;
        commit(owned);
    }

    /**
     * Commits these partitions (those with something new to commit); a commit refused by a rebalance under way is
     * left to the next one.
     */
    void commit(Collection<OwnedPartition> owned) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Map<TopicPartition, OwnedPartition> byTp = new HashMap<>();
        for (OwnedPartition p : owned) {
            OptionalLong c = p.progress.committable();
            if (c.isPresent()) {
                long reports = p.progress.reportsFrom(c.getAsLong());
                long retries = p.progress.retriesFrom(c.getAsLong());
                offsets.put(p.tp, new OffsetAndMetadata(c.getAsLong(), PartitionProgress.metadata(reports, retries)));
                byTp.put(p.tp, p);
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
            OwnedPartition p = byTp.get(e.getKey());
            p.progress.committed(e.getValue().offset());
            p.index.forgetBelow(e.getValue().offset());
        }
    }
}
