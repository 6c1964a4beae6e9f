package io.reactivesmtp.kafka;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The configuration of a worker's three Kafka clients (the group consumer, the producer of reports and retry jobs,
 * the reader of reports at assignment), and the check of the topics they share.
 */
final class KafkaClientConfig {

    private KafkaClientConfig() {
    }

    /** @return the group consumer's: no auto-commit, cooperative assignment, a poll interval above revoke + load */
    static Properties consumer(KafkaWorkerOptions o) {
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

    /** @return the producer's: {@code acks=all} and idempotent whatever the user's properties say */
    static Properties producer(KafkaWorkerOptions o) {
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

    /** @return the report reader's: no group, only the security settings of the consumer's properties */
    static Properties reader(KafkaWorkerOptions o) {
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
     * @param consumer a consumer of the cluster
     * @param o the worker's settings
     * @throws IllegalStateException when a topic is missing or the partition counts differ
     */
    static void checkTopics(Consumer<?, ?> consumer, KafkaWorkerOptions o) {
        int jobs = partitionCount(consumer, o, o.jobsTopic());
        int retry = partitionCount(consumer, o, o.retryTopic());
        int reports = partitionCount(consumer, o, o.reportsTopic());
        if (jobs != retry || jobs != reports) {
            throw new IllegalStateException("the jobs, retry and reports topics must have the same partition count"
                    + " (a job's report goes to the reports partition of its number): " + o.jobsTopic() + " has "
                    + jobs + ", " + o.retryTopic() + " " + retry + ", " + o.reportsTopic() + " " + reports);
        }
    }

    private static int partitionCount(Consumer<?, ?> consumer, KafkaWorkerOptions o, String topic) {
        List<PartitionInfo> info;
        try {
            info = consumer.partitionsFor(topic, o.loadTimeout());
        } catch (KafkaException e) {
            throw new IllegalStateException("cannot read the partitions of topic " + topic + " at "
                    + o.bootstrapServers() + ": " + e, e);
        }
        if (info == null || info.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist at " + o.bootstrapServers());
        }
        return info.size();
    }
}
