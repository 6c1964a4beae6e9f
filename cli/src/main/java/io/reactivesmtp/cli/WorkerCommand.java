package io.reactivesmtp.cli;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.kafka.JobKeys;
import io.reactivesmtp.kafka.JobReport;
import io.reactivesmtp.kafka.KafkaSmtpWorker;
import io.reactivesmtp.kafka.KafkaWorkerOptions;
import io.reactivesmtp.kafka.WorkerListener;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.RetryPolicy;
import io.reactivesmtp.reactor.Routing;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.SmtpEventListener;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code reactive-smtp worker}: one member of a group of senders on Kafka ({@link KafkaSmtpWorker}). Run as many as
 * the jobs topic has partitions, on as many machines; each sends the jobs of its partitions through one SMTP client
 * and writes one report per job to the reports topic.
 *
 * <pre>{@code
 * reactive-smtp worker --bootstrap-servers kafka:9092 --jobs-topic mail.jobs --reports-topic mail.reports \
 *     --group mail-senders --server smtp.example.com:587 [--tls ...] [--user U --password-env VAR] \
 *     [--in-flight-per-partition 16] [--per-destination 10] [--rate MSGS_PER_S] [--max-per-connection M]
 *     [--max-attempts 4] [--first-backoff-seconds 30] [--revoke-timeout-seconds 30] [--exit-when-idle SECONDS]
 * }</pre>
 *
 * <p>Progress and summary as {@code bulk} prints them. Ctrl-C stops taking jobs, lets those in flight finish (the
 * revoke timeout at most), commits and prints the summary. Exit status: 0 every recipient this worker reported was
 * accepted (or it reported none), 3 some, 4 none or the worker failed (Kafka unreachable, topics missing), 2 usage
 * error.
 */
@Command(name = "worker",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Send the mail jobs of a Kafka topic as one worker of a consumer group, writing one report per job "
                    + "to the reports topic (jobs, <jobs>.retry and reports topics: same partition count).",
            "Ctrl-C stops taking jobs, lets those in flight finish, commits and prints the summary."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:every recipient reported by this worker was accepted (or none was reported)",
            ExitCodes.USAGE_TEXT,
            "3:some recipients accepted",
            "4:no recipient accepted, or the worker failed (Kafka unreachable, topics missing)"
        })
public final class WorkerCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,HOST:PORT...]", required = true,
            description = "The Kafka brokers to connect to first.")
    private String bootstrapServers;

    @Option(names = "--jobs-topic", paramLabel = "TOPIC", required = true, description = "The jobs topic.")
    private String jobsTopic;

    @Option(names = "--reports-topic", paramLabel = "TOPIC", required = true,
            description = "The reports topic (as many partitions as the jobs topic).")
    private String reportsTopic;

    @Option(names = "--retry-topic", paramLabel = "TOPIC",
            description = "The retry topic (as many partitions as the jobs topic). Default: the jobs topic + .retry.")
    private String retryTopic;

    @Option(names = "--group", paramLabel = "GROUP", defaultValue = "reactive-smtp",
            description = "The consumer group of the workers. Default: ${DEFAULT-VALUE}.")
    private String group;

    @Option(names = "--worker-id", paramLabel = "NAME", description = "This worker's name in the reports. "
            + "Default: pid@host.")
    private String workerId;

    @Option(names = "--server", paramLabel = "HOST:PORT", required = true,
            description = "The relay; repeat for a failover list (tried in order).")
    private List<String> servers = new ArrayList<>();

    @Mixin
    private SecurityOptions security = new SecurityOptions();

    @Option(names = "--in-flight-per-partition", paramLabel = "N", defaultValue = "16",
            description = "Jobs in flight at most per partition; reached, the partition is paused. "
                    + "Default: ${DEFAULT-VALUE}.")
    private int inFlightPerPartition;

    @Option(names = "--per-destination", paramLabel = "D", defaultValue = "10",
            description = "Connections at most to the relay. Default: ${DEFAULT-VALUE}.")
    private int perDestination;

    @Mixin
    private DeliveryOptions delivery = new DeliveryOptions();

    @Option(names = "--max-attempts", paramLabel = "K", defaultValue = "4",
            description = "Attempts per recipient, the first included; transient failures go through the retry "
                    + "topic. Default: ${DEFAULT-VALUE}.")
    private int maxAttempts;

    @Option(names = "--first-backoff-seconds", paramLabel = "S", defaultValue = "30",
            description = "Wait before the first retry, doubled for each next one (at most 10 min). "
                    + "Default: ${DEFAULT-VALUE}.")
    private long firstBackoffSeconds;

    @Option(names = "--revoke-timeout-seconds", paramLabel = "S", defaultValue = "30",
            description = "How long revoked partitions' jobs (and Ctrl-C) may take to finish before they are "
                    + "abandoned to the next owner. Default: ${DEFAULT-VALUE}.")
    private long revokeTimeoutSeconds;

    @Option(names = "--exit-when-idle", paramLabel = "SECONDS",
            description = "Stop after this many seconds without a job in flight or reported, counted from the first "
                    + "partition assignment (for batch runs; a worker given no partition stops after 60 s).")
    private Long exitWhenIdle;

    @Option(names = "--json", description = "No progress; print one JSON summary object at the end.")
    private boolean json;

    // Test hooks.
    private Function<String, String> env = System::getenv;
    private Boolean terminal;
    private Duration progressInterval;
    private boolean installShutdownHook = true;

    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    /** The status the summary printed, for the Ctrl-C hook (which ends the JVM with it). */
    private volatile int exitStatus = ExitCodes.FAILED;
    private volatile KafkaSmtpWorker running;

    /** Creates the command; picocli fills in its options. */
    public WorkerCommand() {
    }

    /** What Ctrl-C does (and the test hook that simulates it): stop gracefully. Safe from any thread. */
    public void interrupt() {
        stopRequested.set(true);
        KafkaSmtpWorker w = running;
        if (w != null) {
            w.stop();
        }
    }

    void env(Function<String, String> lookup) {
        this.env = Objects.requireNonNull(lookup, "lookup");
    }

    void terminal(Boolean isTerminal) {
        this.terminal = isTerminal;
    }

    void progressInterval(Duration interval) {
        this.progressInterval = interval;
    }

    void installShutdownHook(boolean install) {
        this.installShutdownHook = install;
    }

    /**
     * Checks the options, runs the worker until Ctrl-C (or idle), prints the summary.
     *
     * @return the exit status
     */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String command = spec.qualifiedName();
        SmtpClientOptions.Builder client = SmtpClientOptions.builder();
        KafkaWorkerOptions.Builder options = KafkaWorkerOptions.builder();
        List<ServerAddress> relays = new ArrayList<>();
        try {
            relays.addAll(DeliveryOptions.relays(servers));
            DeliveryOptions.positive("--in-flight-per-partition", inFlightPerPartition);
            DeliveryOptions.positive("--per-destination", perDestination);
            DeliveryOptions.positive("--max-attempts", maxAttempts);
            delivery.check(perDestination, false);
            if (firstBackoffSeconds < 0 || revokeTimeoutSeconds < 0 || (exitWhenIdle != null && exitWhenIdle < 1)) {
                throw new IllegalArgumentException(firstBackoffSeconds < 0 ? "--first-backoff-seconds must not be negative"
                        : revokeTimeoutSeconds < 0 ? "--revoke-timeout-seconds must not be negative"
                        : "--exit-when-idle must be at least 1");
            }
            SmtpSessionOptions.Builder session = SmtpSessionOptions.builder();
            security.applyTo(session, env);
            List<InetSocketAddress> addresses = new ArrayList<>();
            for (ServerAddress a : relays) {
                addresses.add(InetSocketAddress.createUnresolved(a.host(), a.port()));
            }
            PoolOptions.Builder pool = PoolOptions.builder().maxConnectionsPerDestination(perDestination);
            delivery.applyTo(pool, client);
            client.routing(Routing.relays(addresses)).session(session.build()).pool(pool.build())
                    .retry(RetryPolicy.NONE);
            options.bootstrapServers(bootstrapServers).groupId(group).jobsTopic(jobsTopic).reportsTopic(reportsTopic)
                    .maxInFlightPerPartition(inFlightPerPartition).maxAttempts(maxAttempts)
                    .firstBackoff(Duration.ofSeconds(firstBackoffSeconds))
                    .maxBackoff(Duration.ofSeconds(Math.max(firstBackoffSeconds, 600)))
                    .revokeTimeout(Duration.ofSeconds(revokeTimeoutSeconds)).keys(JobKeys.DOMAIN);
            if (retryTopic != null) {
                options.retryTopic(retryTopic);
            }
            if (workerId != null) {
                options.workerId(workerId);
            }
            options.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            ReportPrinter.printError(err, command, e.getMessage());
            return ExitCodes.USAGE;
        }
        return run(client, options, relays, out, err);
    }

    private int run(SmtpClientOptions.Builder clientOptions, KafkaWorkerOptions.Builder options,
            List<ServerAddress> relays, PrintWriter out, PrintWriter err) {
        String command = spec.qualifiedName();
        BulkStats stats = new BulkStats();
        WorkerSummary.Counters counters = new WorkerSummary.Counters();
        AtomicLong lastActivity = new AtomicLong(System.nanoTime());
        String serverText = String.join(", ", relays.stream().map(ServerAddress::toString).toList())
                + (relays.size() > 1 ? " (in this order, failover)" : "") + ", TLS "
                + security.tls().name().toLowerCase(Locale.ROOT);
        options.listener(new WorkerListener() {
            @Override
            public void onReport(JobReport report) {
                lastActivity.set(System.nanoTime());
                count(report, stats, counters);
            }

            @Override
            public void onReplaySkipped(String jobId, TopicPartition partition, long offset) {
                lastActivity.set(System.nanoTime());
                counters.replays.increment();
            }

            @Override
            public void onAssigned(Collection<TopicPartition> partitions) {
                lastActivity.set(System.nanoTime());
                counters.assignedOnce.set(true);
                counters.partitions.addAndGet(partitions.size());
            }

            @Override
            public void onRevoked(Collection<TopicPartition> partitions, int abandoned) {
                counters.partitions.addAndGet(-partitions.size());
            }
        });
        clientOptions.eventListener(new SmtpEventListener() {
            @Override
            public void sessionReady(String destination, SmtpSession session, Duration elapsed) {
                stats.connections.incrementAndGet();
            }
        });
        SmtpClient client = SmtpClient.create(clientOptions.build());
        KafkaSmtpWorker worker = null;
        Thread hook = null;
        long start = System.nanoTime();
        try {
            KafkaWorkerOptions built = options.build();
            worker = KafkaSmtpWorker.create(client, built);
            // Before the start line: whoever sees it may press Ctrl-C, and the run must then end with its summary.
            if (installShutdownHook) {
                hook = CtrlCHook.install("reactive-smtp-worker-ctrl-c", this::interrupt, finished,
                        built.revokeTimeout().plusSeconds(10), () -> exitStatus, out, err);
            }
            if (!json) {
                out.println(command + ": " + built.bootstrapServers() + ", group " + built.groupId() + ", jobs "
                        + built.jobsTopic() + " (retry " + built.retryTopic() + ") -> " + serverText + "; reports to "
                        + built.reportsTopic());
                out.println("  up to " + built.maxInFlightPerPartition() + " job(s) in flight per partition, "
                        + built.maxAttempts() + " attempt(s), worker " + built.workerId());
                out.flush();
            }
            try {
                worker.start();
            } catch (IllegalStateException e) {
                ReportPrinter.printError(err, command, e.getMessage());
                return ExitCodes.FAILED;
            }
            // Stopped through `running` only once started: a stop during start() would break its topic check
            // (a wake-up) into a failure. A Ctrl-C before this line is seen just below.
            running = worker;
            if (stopRequested.get()) {
                worker.stop();
            }
            ProgressLine progress = new ProgressLine(out, command, !json, terminal, progressInterval, start);
            KafkaSmtpWorker w = worker;
            new RunLoop(ms -> w.awaitTermination(Duration.ofMillis(ms)), progress,
                    now -> progress(stats, counters, w.inFlight(), now - start), System::nanoTime)
                    .onStep((now, ended) -> {
                        if (ended) {
                            return;
                        }
                        if (w.inFlight() > 0) {
                            lastActivity.set(now);
                        }
                        // Idle counts from the first assignment (joining the group takes a while); a worker the
                        // group gives no partition to stops after a minute.
                        if (exitWhenIdle != null && now - lastActivity.get() > TimeUnit.SECONDS.toNanos(exitWhenIdle)
                                && (counters.assignedOnce.get() || now - start > TimeUnit.SECONDS.toNanos(60))) {
                            w.stop();
                        }
                    })
                    .run();
            progress.clear();
            long elapsed = System.nanoTime() - start;
            Throwable failure = worker.failure().orElse(null);
            if (failure != null) {
                ReportPrinter.printError(err, command, "worker failed: "
                        + ReportPrinter.oneLine(String.valueOf(failure.getMessage())));
            }
            int code = exitCode(stats, failure != null);
            exitStatus = code;
            new WorkerSummary(command, stats, counters, elapsed, serverText, stopRequested.get(), failure, code)
                    .print(out, json);
            out.flush();
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ReportPrinter.printError(err, command, "interrupted");
            return ExitCodes.FAILED;
        } catch (RuntimeException e) {
            // A Kafka client that cannot be created (bad bootstrap address, ...).
            ReportPrinter.printError(err, command, "kafka: " + ReportPrinter.oneLine(String.valueOf(e.getMessage())));
            return ExitCodes.FAILED;
        } finally {
            if (worker != null) {
                worker.close();
            }
            delivery.savePacingState(client, err, command);
            try {
                client.disposeLater().block(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                // Closing only.
            }
            finished.countDown();
            CtrlCHook.remove(hook);
        }
    }

    private static void count(JobReport report, BulkStats stats, WorkerSummary.Counters counters) {
        for (JobReport.Recipient r : report.recipients()) {
            switch (r.status()) {
                case ACCEPTED -> stats.recipient(RecipientResult.Status.ACCEPTED, r.code());
                case ALREADY_ACCEPTED -> counters.alreadyAccepted.increment();
                case PERMANENT_FAILURE -> stats.recipient(RecipientResult.Status.PERMANENT_FAILURE, r.code());
                case TRANSIENT_FAILURE, RETRY_SCHEDULED -> stats.recipient(RecipientResult.Status.TRANSIENT_FAILURE,
                        r.code());
                default -> stats.recipient(RecipientResult.Status.UNDETERMINED, r.code());
            }
        }
        switch (report.outcome()) {
            case DELIVERED -> stats.delivered.increment();
            case PARTIAL -> stats.partial.increment();
            case REJECTED -> stats.rejected.increment();
            case FAILED -> stats.failed.increment();
            case RETRYING -> counters.retrying.increment();
            case INVALID -> counters.invalid.increment();
            default -> stats.unknown.increment();
        }
        stats.completed.incrementAndGet();
    }

    private static String progress(BulkStats stats, WorkerSummary.Counters counters, int inFlight, long elapsedNanos) {
        long jobs = stats.completed.get();
        return String.format(Locale.ROOT, "[%s] %d jobs reported (%.1f/s), in flight %d, %d partition(s) | "
                        + "recipients: %d accepted, %d rejected, %d transient, %d unknown | %d retrying, %d invalid, "
                        + "%d replays skipped",
                BulkStats.duration(elapsedNanos), jobs, BulkStats.perSecond(jobs, elapsedNanos), inFlight,
                counters.partitions.get(), stats.rcptAccepted.sum(), stats.rcptRefused.sum(),
                stats.rcptTransient.sum(), stats.rcptUnknown.sum(), counters.retrying.sum(), counters.invalid.sum(),
                counters.replays.sum());
    }

    private static int exitCode(BulkStats stats, boolean failed) {
        if (failed) {
            return ExitCodes.FAILED;
        }
        long all = stats.recipients();
        long accepted = stats.rcptAccepted.sum();
        if (all == 0 || accepted == all) {
            return ExitCodes.OK;
        }
        return accepted > 0 ? ExitCodes.PARTIAL : ExitCodes.FAILED;
    }
}
