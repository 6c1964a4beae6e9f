package io.reactivesmtp.kafka;

import io.reactivesmtp.reactor.RetryPolicy;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a {@link KafkaSmtpWorker}: where the topics are, how much it keeps in flight, how it retries.
 * Immutable; {@link #builder()} validates at {@link Builder#build()}.
 *
 * <pre>{@code
 * KafkaWorkerOptions options = KafkaWorkerOptions.builder()
 *         .bootstrapServers("kafka1:9092,kafka2:9092")
 *         .groupId("mail-senders")
 *         .jobsTopic("mail.jobs").reportsTopic("mail.reports")   // retry topic: mail.jobs.retry
 *         .maxInFlightPerPartition(16)
 *         .maxAttempts(4).firstBackoff(Duration.ofMinutes(1))
 *         .build();
 * }</pre>
 */
public final class KafkaWorkerOptions {

    /** Default bound of jobs in flight per partition. */
    public static final int DEFAULT_MAX_IN_FLIGHT_PER_PARTITION = 16;
    /** Default attempts per recipient, the first included. */
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    /** Default wait before the first retry. */
    public static final Duration DEFAULT_FIRST_BACKOFF = Duration.ofSeconds(30);
    /** Default bound of the backoff. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(10);
    /** Default time a revoked partition's in-flight jobs get to finish before they are abandoned. */
    public static final Duration DEFAULT_REVOKE_TIMEOUT = Duration.ofSeconds(30);
    /** Default bound of the read of a reports partition at assignment. */
    public static final Duration DEFAULT_LOAD_TIMEOUT = Duration.ofSeconds(60);
    /** Default interval between commits. */
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);

    private final String bootstrapServers;
    private final String groupId;
    private final String jobsTopic;
    private final String reportsTopic;
    private final String retryTopic;
    private final int maxInFlightPerPartition;
    // The retry schedule has one home, RetryPolicy: doubling waits, no jitter (a retry job's notBefore is exact).
    private final RetryPolicy retries;
    private final Duration revokeTimeout;
    private final Duration loadTimeout;
    private final Duration commitInterval;
    private final JobKeys keys;
    private final String workerId;
    private final Map<String, Object> consumerProperties;
    private final Map<String, Object> producerProperties;
    private final WorkerListener listener;

    private KafkaWorkerOptions(Builder b, RetryPolicy retries) {
        this.bootstrapServers = b.bootstrapServers;
        this.groupId = b.groupId;
        this.jobsTopic = b.jobsTopic;
        this.reportsTopic = b.reportsTopic;
        this.retryTopic = b.retryTopic != null ? b.retryTopic : b.jobsTopic + ".retry";
        this.maxInFlightPerPartition = b.maxInFlightPerPartition;
        this.retries = retries;
        this.revokeTimeout = b.revokeTimeout;
        this.loadTimeout = b.loadTimeout;
        this.commitInterval = b.commitInterval;
        this.keys = b.keys;
        this.workerId = b.workerId != null ? b.workerId : ManagementFactory.getRuntimeMXBean().getName();
        this.consumerProperties = Map.copyOf(b.consumerProperties);
        this.producerProperties = Map.copyOf(b.producerProperties);
        this.listener = b.listener;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the Kafka bootstrap servers, {@code host:port[,host:port...]} */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** @return the consumer group of the workers */
    public String groupId() {
        return groupId;
    }

    /** @return the topic jobs are read from */
    public String jobsTopic() {
        return jobsTopic;
    }

    /** @return the topic reports are written to (as many partitions as the jobs topic) */
    public String reportsTopic() {
        return reportsTopic;
    }

    /** @return the topic retry jobs go to and are read from (as many partitions as the jobs topic) */
    public String retryTopic() {
        return retryTopic;
    }

    /** @return the bound of jobs in flight per partition: reached, the partition is paused */
    public int maxInFlightPerPartition() {
        return maxInFlightPerPartition;
    }

    /** @return attempts per recipient, the first included: after the last one a transient failure is final */
    public int maxAttempts() {
        return retries.maxAttempts();
    }

    /** @return the wait before the first retry */
    public Duration firstBackoff() {
        return retries.firstBackoff();
    }

    /** @return the bound of the backoff, which doubles with each attempt */
    public Duration maxBackoff() {
        return retries.maxBackoff();
    }

    /**
     * The wait before the next attempt: {@link #firstBackoff()} doubled with each attempt, up to
     * {@link #maxBackoff()}, exact (the schedule of a {@link RetryPolicy} with multiplier 2 and no jitter).
     *
     * @param attempt the attempt that failed (1 for the first)
     * @return the wait before the next one
     */
    public Duration backoff(int attempt) {
        // No jitter, so the draw does not matter; an attempt below 1 gets the first wait.
        return retries.backoff(Math.max(1, attempt), 0);
    }

    /** @return how long a revoked partition's in-flight jobs may take before they are abandoned */
    public Duration revokeTimeout() {
        return revokeTimeout;
    }

    /** @return the bound of the read of a reports partition when a partition is assigned */
    public Duration loadTimeout() {
        return loadTimeout;
    }

    /** @return the interval between commits */
    public Duration commitInterval() {
        return commitInterval;
    }

    /** @return how retry jobs are keyed */
    public JobKeys keys() {
        return keys;
    }

    /** @return this worker's name in its reports */
    public String workerId() {
        return workerId;
    }

    /** @return extra consumer settings (override the defaults, except manual commits) */
    public Map<String, Object> consumerProperties() {
        return consumerProperties;
    }

    /** @return extra producer settings (override the defaults, except acks=all and idempotence) */
    public Map<String, Object> producerProperties() {
        return producerProperties;
    }

    /** @return the listener of the worker's events */
    public WorkerListener listener() {
        return listener;
    }

    /** Builds {@link KafkaWorkerOptions}. */
    public static final class Builder {
        private String bootstrapServers;
        private String groupId;
        private String jobsTopic;
        private String reportsTopic;
        private String retryTopic;
        private int maxInFlightPerPartition = DEFAULT_MAX_IN_FLIGHT_PER_PARTITION;
        private final RetryPolicy.Builder retries = RetryPolicy.builder().maxAttempts(DEFAULT_MAX_ATTEMPTS)
                .firstBackoff(DEFAULT_FIRST_BACKOFF).maxBackoff(DEFAULT_MAX_BACKOFF).multiplier(2).jitter(0);
        private Duration revokeTimeout = DEFAULT_REVOKE_TIMEOUT;
        private Duration loadTimeout = DEFAULT_LOAD_TIMEOUT;
        private Duration commitInterval = DEFAULT_COMMIT_INTERVAL;
        private JobKeys keys = JobKeys.DOMAIN;
        private String workerId;
        private final Map<String, Object> consumerProperties = new HashMap<>();
        private final Map<String, Object> producerProperties = new HashMap<>();
        private WorkerListener listener = new WorkerListener() { };

        private Builder() {
        }

        /** @param servers {@code host:port[,host:port...]} @return this */
        public Builder bootstrapServers(String servers) {
            this.bootstrapServers = Objects.requireNonNull(servers, "bootstrapServers");
            return this;
        }

        /** @param groupId the consumer group @return this */
        public Builder groupId(String groupId) {
            this.groupId = Objects.requireNonNull(groupId, "groupId");
            return this;
        }

        /** @param topic the jobs topic @return this */
        public Builder jobsTopic(String topic) {
            this.jobsTopic = Objects.requireNonNull(topic, "jobsTopic");
            return this;
        }

        /** @param topic the reports topic @return this */
        public Builder reportsTopic(String topic) {
            this.reportsTopic = Objects.requireNonNull(topic, "reportsTopic");
            return this;
        }

        /** @param topic the retry topic (default: the jobs topic + {@code .retry}) @return this */
        public Builder retryTopic(String topic) {
            this.retryTopic = Objects.requireNonNull(topic, "retryTopic");
            return this;
        }

        /** @param n at least 1 @return this */
        public Builder maxInFlightPerPartition(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxInFlightPerPartition must be at least 1: " + n);
            }
            this.maxInFlightPerPartition = n;
            return this;
        }

        /** @param n at least 1 (1: no retry) @return this */
        public Builder maxAttempts(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1: " + n);
            }
            retries.maxAttempts(n);
            return this;
        }

        /** @param d not negative @return this */
        public Builder firstBackoff(Duration d) {
            retries.firstBackoff(nonNegative(d, "firstBackoff"));
            return this;
        }

        /** @param d not negative @return this */
        public Builder maxBackoff(Duration d) {
            retries.maxBackoff(nonNegative(d, "maxBackoff"));
            return this;
        }

        /** @param d not negative @return this */
        public Builder revokeTimeout(Duration d) {
            this.revokeTimeout = nonNegative(d, "revokeTimeout");
            return this;
        }

        /** @param d positive @return this */
        public Builder loadTimeout(Duration d) {
            this.loadTimeout = nonNegative(d, "loadTimeout");
            return this;
        }

        /** @param d positive @return this */
        public Builder commitInterval(Duration d) {
            this.commitInterval = nonNegative(d, "commitInterval");
            return this;
        }

        /** @param keys how retry jobs are keyed @return this */
        public Builder keys(JobKeys keys) {
            this.keys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /** @param id this worker's name in reports (default: pid@host) @return this */
        public Builder workerId(String id) {
            this.workerId = Objects.requireNonNull(id, "workerId");
            return this;
        }

        /** @param name a consumer setting @param value its value @return this */
        public Builder consumerProperty(String name, Object value) {
            consumerProperties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @param name a producer setting @param value its value @return this */
        public Builder producerProperty(String name, Object value) {
            producerProperties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @param listener told of reports and rebalances (on the poll thread: keep it quick) @return this */
        public Builder listener(WorkerListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @return the options
         * @throws IllegalStateException naming a missing setting, or two that do not fit together (equal topics,
         *     maxBackoff below firstBackoff)
         */
        public KafkaWorkerOptions build() {
            require(bootstrapServers, "bootstrapServers");
            require(groupId, "groupId");
            require(jobsTopic, "jobsTopic");
            require(reportsTopic, "reportsTopic");
            String retry = retryTopic != null ? retryTopic : jobsTopic + ".retry";
            if (jobsTopic.equals(reportsTopic) || retry.equals(reportsTopic) || retry.equals(jobsTopic)) {
                throw new IllegalStateException("jobs, retry and reports topics must differ: " + jobsTopic + ", "
                        + retry + ", " + reportsTopic);
            }
            RetryPolicy built;
            try {
                built = retries.build();
            } catch (IllegalArgumentException e) {
                // The setters check each value alone; what is left is maxBackoff below firstBackoff, two settings
                // that do not fit together, which this builder reports as a state like the topics above.
                throw new IllegalStateException(e.getMessage(), e);
            }
            return new KafkaWorkerOptions(this, built);
        }

        private static void require(String value, String name) {
            if (value == null || value.isBlank()) {
                throw new IllegalStateException(name + " is required");
            }
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative: " + d);
            }
            return d;
        }
    }
}
