package io.reactivesmtp.cli;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.kafka.JobKeys;
import io.reactivesmtp.kafka.MailJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code reactive-smtp enqueue}: turns a recipients file and a message into mail jobs on a Kafka topic, for
 * {@link WorkerCommand workers} to send. Recipients are grouped by domain, {@code --per-job N} per job, and each job
 * is keyed by its domain (by default), so one domain's traffic stays on one partition and one worker.
 *
 * <pre>{@code
 * reactive-smtp enqueue --bootstrap-servers kafka:9092 --topic mail.jobs \
 *     --from news@example.com --recipients recipients.txt --body message.eml [--per-job 50] [--key domain]
 * }</pre>
 *
 * <p>The file is read as {@code bulk} reads it (one address per line, {@code #} comments, bad lines reported and
 * skipped). A domain's batch is written when it is full, the rest at the end, so memory holds at most one batch per
 * domain. Exit status: 0 every job acknowledged by the broker and no bad line, 3 some, 4 none, 2 usage error.
 */
@Command(name = "enqueue",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Write mail jobs to a Kafka topic: the recipients of a file (one per line, # comments), grouped by "
                    + "domain, --per-job at most per job, each with the message of --body. Workers "
                    + "(reactive-smtp worker) send them."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:every job acknowledged by the broker (no bad line)",
            ExitCodes.USAGE_TEXT,
            "3:some jobs enqueued, some not (or bad lines skipped)",
            "4:no job enqueued"
        })
public final class EnqueueCommand implements Callable<Integer> {

    /** A job record must fit Kafka's default 1 MB message size, with room for base64 and the envelope. */
    static final long MAX_BODY_BYTES = 700 * 1024;

    @Spec
    private CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,HOST:PORT...]", required = true,
            description = "The Kafka brokers to connect to first.")
    private String bootstrapServers;

    @Option(names = "--topic", paramLabel = "TOPIC", required = true, description = "The jobs topic.")
    private String topic;

    @Option(names = "--from", paramLabel = "ADDR", required = true, description = "The sender (MAIL FROM).")
    private String from;

    @Option(names = "--recipients", paramLabel = "FILE", required = true,
            description = "One address per line; blank lines and lines starting with # are ignored, bad lines "
                    + "reported (with their number) and skipped.")
    private Path recipientsFile;

    @Option(names = "--body", paramLabel = "FILE", required = true,
            description = "The message (RFC 5322), at most 700 KiB (it travels inside each job record).")
    private Path body;

    @Option(names = "--per-job", paramLabel = "N", defaultValue = "50",
            description = "Recipients per job (all of one domain). Default: ${DEFAULT-VALUE}.")
    private int perJob;

    @Option(names = "--key", paramLabel = "domain|job-id|none", defaultValue = "domain",
            description = "The record key: the recipients' domain (one domain stays on one worker), the job id, "
                    + "or none. Default: ${DEFAULT-VALUE}.")
    private String key;

    @Option(names = "--json", description = "No progress; print one JSON summary object at the end.")
    private boolean json;

    // Test hooks.
    private Duration progressInterval;
    private Boolean terminal;

    /** Creates the command; picocli fills in its options. */
    public EnqueueCommand() {
    }

    /** How often progress is printed; null for 1 s on a terminal, 5 s otherwise (for tests). */
    void progressInterval(Duration interval) {
        this.progressInterval = interval;
    }

    /** Whether standard output is a terminal; null to ask System.console() (for tests). */
    void terminal(Boolean isTerminal) {
        this.terminal = isTerminal;
    }

    /**
     * Checks the options, writes the jobs and prints the summary.
     *
     * @return the exit status
     */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String command = spec.qualifiedName();
        JobKeys keys;
        byte[] content;
        try {
            try {
                MailAddress.of(from);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--from: " + e.getMessage(), e);
            }
            if (!Files.isRegularFile(recipientsFile) || !Files.isReadable(recipientsFile)) {
                throw new IllegalArgumentException("--recipients: " + ReportPrinter.oneLine(recipientsFile.toString())
                        + " is not a readable file");
            }
            if (!Files.isRegularFile(body) || !Files.isReadable(body)) {
                throw new IllegalArgumentException("--body: " + ReportPrinter.oneLine(body.toString())
                        + " is not a readable file");
            }
            try {
                if (Files.size(body) > MAX_BODY_BYTES) {
                    throw new IllegalArgumentException("--body: " + ReportPrinter.oneLine(body.toString()) + " has "
                            + Files.size(body) + " bytes; a job carries at most " + MAX_BODY_BYTES);
                }
                content = Files.readAllBytes(body);
            } catch (IOException e) {
                throw new IllegalArgumentException("--body: cannot read " + body + ": " + e.getMessage(), e);
            }
            if (perJob < 1 || perJob > 1000) {
                throw new IllegalArgumentException("--per-job must be 1 to 1000, not " + perJob);
            }
            try {
                keys = JobKeys.named(key);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--key: " + e.getMessage(), e);
            }
            if (topic.isBlank() || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException((topic.isBlank() ? "--topic" : "--bootstrap-servers")
                        + " must not be empty");
            }
        } catch (IllegalArgumentException e) {
            ReportPrinter.printError(err, command, e.getMessage());
            return ExitCodes.USAGE;
        }
        return run(keys, content, out, err);
    }

    private int run(JobKeys keys, byte[] content, PrintWriter out, PrintWriter err) {
        String command = spec.qualifiedName();
        boolean isTerminal = terminal != null ? terminal : System.console() != null;
        Duration interval = progressInterval != null ? progressInterval : Duration.ofSeconds(isTerminal ? 1 : 5);
        AtomicLong linesRead = new AtomicLong();
        AtomicLong badLines = new AtomicLong();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong jobsSent = new AtomicLong();
        AtomicLong jobsAcked = new AtomicLong();
        AtomicLong jobsFailed = new AtomicLong();
        AtomicLong recipientsAcked = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        OptionalLong totalLines = RecipientFile.countLinesIfSmall(recipientsFile);
        String target = bootstrapServers + ", topic " + topic + " (key: " + keys + ")";
        if (!json) {
            out.println(command + ": " + recipientsFile + " -> " + target);
            out.println("  " + (totalLines.isPresent() ? totalLines.getAsLong() + " lines, " : "")
                    + "up to " + perJob + " recipient(s) per job, one domain per job");
            out.flush();
        }
        long start = System.nanoTime();
        long nextProgress = start + interval.toNanos();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "reactive-smtp-enqueue");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        // One request in flight: a batch refused while a new topic's leader settles is retried before any later
        // batch of its partition is sent, so the idempotent producer never sees its sequence out of order.
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        String fromAddress = from;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            Map<String, Set<String>> open = new LinkedHashMap<>();
            java.util.function.Consumer<Set<String>> send = batch -> {
                MailJob job = MailJob.of(fromAddress, new ArrayList<>(batch), content);
                int n = batch.size();
                jobsSent.incrementAndGet();
                producer.send(new ProducerRecord<>(topic, keys.key(job), job.toBytes()), (md, e) -> {
                    if (e == null) {
                        jobsAcked.incrementAndGet();
                        recipientsAcked.addAndGet(n);
                    } else {
                        jobsFailed.incrementAndGet();
                        firstError.compareAndSet(null, e);
                    }
                });
            };
            for (RecipientFile.Recipient r : RecipientFile.recipients(recipientsFile, (line, text, reason) -> {
                badLines.incrementAndGet();
                ReportPrinter.printError(err, command, recipientsFile + ":" + line + ": skipped, not an address: "
                        + ReportPrinter.oneLine(reason));
            }, Set.of(), new AtomicLong(), linesRead).toIterable(1)) {
                String domain = r.address().asciiDomain().toLowerCase(Locale.ROOT);
                Set<String> batch = open.computeIfAbsent(domain, d -> new LinkedHashSet<>());
                if (!batch.add(r.address().toString())) {
                    duplicates.incrementAndGet();
                    continue;
                }
                if (batch.size() >= perJob) {
                    open.remove(domain);
                    send.accept(batch);
                }
                long now = System.nanoTime();
                if (!json && now >= nextProgress) {
                    out.println(command + ": " + progress(now - start, linesRead.get(), jobsAcked.get(),
                            recipientsAcked.get(), badLines.get()));
                    out.flush();
                    nextProgress = now + interval.toNanos();
                }
            }
            for (Set<String> batch : open.values()) {
                send.accept(batch);
            }
            producer.flush();
        } catch (UncheckedIOException e) {
            ReportPrinter.printError(err, command, e.getMessage());
            firstError.compareAndSet(null, e);
        } catch (RuntimeException e) {
            // A producer that cannot reach the cluster, a record too large, ...
            ReportPrinter.printError(err, command, "kafka: " + ReportPrinter.oneLine(String.valueOf(e.getMessage())));
            firstError.compareAndSet(null, e);
        }
        long elapsed = System.nanoTime() - start;
        if (firstError.get() != null && jobsFailed.get() > 0) {
            ReportPrinter.printError(err, command, jobsFailed.get() + " job(s) not acknowledged, first: "
                    + ReportPrinter.oneLine(String.valueOf(firstError.get().getMessage())));
        }
        long unacked = jobsSent.get() - jobsAcked.get();
        int code = jobsAcked.get() == 0 ? ExitCodes.FAILED
                : unacked == 0 && badLines.get() == 0 && firstError.get() == null ? ExitCodes.OK : ExitCodes.PARTIAL;
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("kafka", bootstrapServers);
            o.put("topic", topic);
            o.put("key", keys.name());
            o.put("elapsedMillis", elapsed / 1_000_000);
            o.put("linesRead", linesRead.get());
            o.put("badLines", badLines.get());
            o.put("duplicates", duplicates.get());
            Map<String, Object> jobs = new LinkedHashMap<>();
            jobs.put("enqueued", jobsAcked.get());
            jobs.put("failed", unacked);
            o.put("jobs", jobs);
            o.put("recipients", recipientsAcked.get());
            o.put("error", firstError.get() == null ? null : String.valueOf(firstError.get().getMessage()));
            o.put("exitStatus", code);
            out.println(CliJson.document(o));
        } else {
            out.println();
            out.println(command + ": done in " + BulkStats.duration(elapsed));
            out.println("kafka:        " + target);
            out.println("recipients:   " + linesRead.get() + " lines read, " + badLines.get() + " bad line(s) skipped, "
                    + duplicates.get() + " duplicate(s) skipped");
            out.println("jobs:         " + jobsAcked.get() + " enqueued (" + recipientsAcked.get() + " recipients), "
                    + unacked + " not acknowledged");
            out.printf(Locale.ROOT, "throughput:   %.1f jobs/s, %.1f recipients/s%n",
                    BulkStats.perSecond(jobsAcked.get(), elapsed), BulkStats.perSecond(recipientsAcked.get(), elapsed));
            out.println("exit status " + code + switch (code) {
                case ExitCodes.OK -> ": every job acknowledged by the broker";
                case ExitCodes.PARTIAL -> ": some jobs enqueued, some not (or bad lines skipped)";
                default -> ": no job enqueued";
            });
        }
        out.flush();
        return code;
    }

    private static String progress(long elapsedNanos, long lines, long jobs, long recipients, long bad) {
        return String.format(Locale.ROOT, "[%s] %d lines read, %d jobs enqueued (%.1f/s), %d recipients%s",
                BulkStats.duration(elapsedNanos), lines, jobs, BulkStats.perSecond(jobs, elapsedNanos), recipients,
                bad > 0 ? ", " + bad + " bad lines" : "");
    }
}
