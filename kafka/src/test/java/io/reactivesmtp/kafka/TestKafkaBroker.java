package io.reactivesmtp.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker for the tests: one KRaft node in combined mode (broker and controller), started in the test
 * JVM by Kafka's own test kit, listening on loopback ports chosen by the system, its logs in a temporary directory
 * deleted on close. Startup is bounded.
 */
public final class TestKafkaBroker implements AutoCloseable {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final KafkaClusterTestKit cluster;
    private final Admin admin;

    private TestKafkaBroker(Path dir, KafkaClusterTestKit cluster) {
        this.dir = dir;
        this.cluster = cluster;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        this.admin = Admin.create(p);
    }

    public static TestKafkaBroker start() throws Exception {
        Path dir = Files.createTempDirectory("reactive-smtp-kafka-it");
        KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(dir).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "3")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("num.network.threads", "2")
                .setConfigProp("num.io.threads", "2")
                .setConfigProp("log.flush.interval.messages", Long.toString(Long.MAX_VALUE))
                .setDeleteOnClose(true)
                .build();
        CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
            try {
                cluster.format();
                cluster.startup();
                cluster.waitForReadyBrokers();
            } catch (Exception e) {
                throw new IllegalStateException("the test broker did not start: " + e, e);
            }
        });
        try {
            started.get(STARTUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            started.cancel(true);
            cluster.close();
            deleteTree(dir);
            throw new IllegalStateException("the test broker did not start within " + STARTUP_TIMEOUT + ": " + e, e);
        }
        return new TestKafkaBroker(dir, cluster);
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** Creates topics of one partition count and waits until every partition's leader answers. */
    public void createTopics(int partitions, String... names) throws Exception {
        List<NewTopic> topics = new ArrayList<>();
        for (String n : names) {
            topics.add(new NewTopic(n, partitions, (short) 1));
        }
        admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        // Produce only once every partition's leader answers: a fresh topic is unknown, then leaderless, then its
        // leader's replica manager still answers NOT_LEADER for a moment.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
                for (org.apache.kafka.clients.admin.TopicDescription d
                        : admin.describeTopics(List.of(names)).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
                    for (org.apache.kafka.common.TopicPartitionInfo info : d.partitions()) {
                        if (info.leader() == null || info.leader().isEmpty()) {
                            throw new IllegalStateException(d.name() + "-" + info.partition() + " has no leader");
                        }
                        latest.put(new TopicPartition(d.name(), info.partition()),
                                org.apache.kafka.clients.admin.OffsetSpec.latest());
                    }
                }
                admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.ExecutionException | IllegalStateException e) {
                last = e;
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("topics " + List.of(names) + " not ready after 30 s: " + last, last);
    }

    public Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    }

    KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // The tests' own producer: plain retries, one request in flight, so a retry never reorders or trips the
        // idempotence sequence checks while a fresh broker settles.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    /** Sends the jobs, keyed by domain, and waits for their acknowledgement. */
    void enqueue(String topic, List<MailJob> jobs) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
            for (MailJob job : jobs) {
                acks.add(producer.send(new ProducerRecord<>(topic, JobKeys.DOMAIN.key(job), job.toBytes())));
            }
            for (java.util.concurrent.Future<?> f : acks) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
    }

    void send(String topic, int partition, byte[] key, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, partition, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Reads a topic from the beginning until {@code done} holds for what was read, or the timeout.
     *
     * @return the records read, in partition order then offset order
     */
    public List<ConsumerRecord<byte[], byte[]>> readUntil(String topic, Duration timeout,
            java.util.function.Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            c.partitionsFor(topic).forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(read) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(read::add);
            }
        }
        return read;
    }

    @Override
    public void close() {
        try {
            admin.close(Duration.ofSeconds(10));
            cluster.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the test broker", e);
        } catch (Exception e) {
            throw new IllegalStateException("the test broker did not stop cleanly: " + e, e);
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }
}
