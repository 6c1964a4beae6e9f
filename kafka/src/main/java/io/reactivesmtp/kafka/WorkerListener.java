package io.reactivesmtp.kafka;

import java.util.Collection;
import org.apache.kafka.common.TopicPartition;

/**
 * Hooks into a {@link KafkaSmtpWorker}, all no-ops by default. Called on the worker's poll thread: keep them quick.
 */
public interface WorkerListener {

    /**
     * A report was acknowledged by the broker.
     *
     * @param report the report
     */
    default void onReport(JobReport report) {
    }

    /**
     * A replayed job was committed without sending: a report of it was already written.
     *
     * @param jobId its id
     * @param partition its partition
     * @param offset its offset
     */
    default void onReplaySkipped(String jobId, TopicPartition partition, long offset) {
    }

    /**
     * Partitions were assigned to this worker (their reports read).
     *
     * @param partitions the partitions
     */
    default void onAssigned(Collection<TopicPartition> partitions) {
    }

    /**
     * Partitions were revoked; their in-flight jobs finished or were abandoned, the offsets committed.
     *
     * @param partitions the partitions
     * @param abandoned the jobs abandoned because they did not finish within the revoke timeout
     */
    default void onRevoked(Collection<TopicPartition> partitions, int abandoned) {
    }
}
