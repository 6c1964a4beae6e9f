package io.reactivesmtp.cli;

import io.reactivesmtp.reactor.OutgoingMessage;
import io.reactivesmtp.reactor.RetryPolicy;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * {@code reactive-smtp bulk}: sends one message ({@code --body FILE}) to every address of a recipients file,
 * {@code --per-message N} recipients per transaction, through {@link SmtpClient#sendAll}: the file is read
 * lazily as the client asks for more messages (backpressure), so its size does not matter. Instead of
 * {@code --body}, the compose options ({@link ComposeOptions}) build one message per recipient, with that recipient
 * in its To and a Message-ID of its own, its files streamed at each send.
 *
 * <pre>{@code
 * reactive-smtp bulk --from ADDR --recipients FILE (--body FILE | [--subject TEXT] [--text FILE] [--html FILE]
 *      [--attach FILE ...] [--list-unsubscribe URI ...])
 *      [--server HOST:PORT ... [--tls ...] | --mx [--tls-level may|encrypt|dane|verify|secure]]
 *      [--trust-pem FILE] [--user U --password-env VAR]
 *      [--per-message N] [--concurrency C] [--per-destination D] [--rate MSGS_PER_S]
 *      [--max-per-connection M] [--retries K] [--report FILE.jsonl] [--retry-from FILE.jsonl] [--json]
 *      [--dkim-key FILE --dkim-selector SEL --dkim-domain DOMAIN ...]
 * }</pre>
 *
 * <p>Without {@code --server} or {@code --mx} it starts {@link DemoServer#start()} on 127.0.0.1
 * (no TLS) and says so. Progress: a live line on a terminal, a plain line every 5 s otherwise, nothing with
 * {@code --json} (one JSON summary object at the end). Ctrl-C (or {@link #interrupt()}) stops taking new
 * messages, waits at most {@link #DRAIN_TIMEOUT} for those in flight and prints the summary; the process then
 * exits with the status the summary printed (not 130).
 *
 * <p>However a run ends early (a read error in the recipients file, Ctrl-C, a report that cannot be written),
 * reading stops but the messages already handed to servers finish, and each gets its report line before the
 * process exits; those still in flight after the drain timeout get an {@code UNDETERMINED} line saying they
 * were abandoned. See {@link BulkReport} for what a SIGKILL can lose and how the report bounds it.
 *
 * <p>Exit status: 0 every recipient accepted (and no bad line, no interruption), 3 some accepted, 4 none
 * accepted or no verdict, 2 usage error.
 *
 * <p>Test hooks, hidden from {@code --help} (they only make sense against servers a test starts on loopback):
 * <ul>
 *   <li>{@code --dns-server HOST:PORT} (with {@code --mx}): the DNS server asked instead of the system's
 *       resolv.conf ({@code DnsMxResolver.Builder.nameServers}); HOST must be an IP address.
 *       The client resolves the MX hosts' names through the same resolver, so their addresses come from that
 *       server too.</li>
 *   <li>{@code --mx-port PORT} (with {@code --mx}): the port of the MX hosts instead of 25
 *       ({@link SmtpClientOptions.Builder#mxPort(int)}).</li>
 * </ul>
 */
@Command(name = "bulk",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Send one message (--body FILE, or composed with --subject, --text, --html, --attach and "
                    + "--list-unsubscribe: then each recipient's own) to every address of a recipients file (one per "
                    + "line, # comments), streamed with backpressure, with live progress, a JSONL report and a summary.",
            "Without --server or --mx an embedded SMTP server on 127.0.0.1 receives the mail (it refuses "
                    + "nobody@example.net with 550 and busy@example.net with 451). Ctrl-C stops taking new "
                    + "messages, lets those in flight finish (at most 30 s) and prints the summary."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:every recipient accepted (no bad line, not interrupted)",
            ExitCodes.USAGE_TEXT,
            "3:some recipients accepted",
            "4:no recipient accepted, or no verdict (connection, timeout, ...)"
        })
public final class BulkCommand implements Callable<Integer> {

    /** How long Ctrl-C waits for the messages in flight. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    /** Messages read from the recipients file ahead of the sender's requests (refilled at three quarters). */
    static final int READ_AHEAD = 64;

    @Spec
    private CommandSpec spec;

    @Mixin
    private BulkOptions o = new BulkOptions();

    // Test hooks.
    private Function<String, String> env = System::getenv;
    private Boolean terminal;
    private Duration progressInterval;
    private Duration drainTimeout = DRAIN_TIMEOUT;
    private Duration retryFirstBackoff = RetryPolicy.DEFAULT_FIRST_BACKOFF;
    private boolean installShutdownHook = true;
    private UnaryOperator<InputStream> recipientsStream = in -> in;

    // Stopping.
    private final Sinks.Empty<Void> stop = Sinks.empty();
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final AtomicBoolean takingNoMore = new AtomicBoolean();
    private volatile long stopRequestedAt;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    /** The status the run printed, for the shutdown hook (which must end the JVM with it). */
    private volatile int exitStatus = ExitCodes.FAILED;

    /** Creates the command; picocli fills in its options. */
    public BulkCommand() {
    }

    /**
     * What Ctrl-C does (and the test hook that simulates it): stop taking new messages from the recipients
     * file; the messages in flight finish (at most {@link #DRAIN_TIMEOUT}) and the summary is printed. Safe to
     * call from any thread, more than once.
     */
    public void interrupt() {
        if (stopRequested.compareAndSet(false, true)) {
            stopRequestedAt = System.nanoTime();
            takingNoMore.set(true);
            stop.tryEmitEmpty();
        }
    }

    /** Whether the run should take no new messages: interrupted, or the report cannot be written. */
    private boolean stopping() {
        return takingNoMore.get();
    }

    /** Replaces the environment lookup (for tests). */
    void env(Function<String, String> lookup) {
        this.env = Objects.requireNonNull(lookup, "lookup");
    }

    /** Whether standard output is a terminal; null to ask System.console() (for tests). */
    void terminal(Boolean isTerminal) {
        this.terminal = isTerminal;
    }

    /** How often progress is printed; null for 1 s on a terminal, 5 s otherwise (for tests). */
    void progressInterval(Duration interval) {
        this.progressInterval = interval;
    }

    /** How long an interruption waits for the messages in flight (for tests). */
    void drainTimeout(Duration timeout) {
        this.drainTimeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The first retry backoff of --retries (for tests). */
    void retryFirstBackoff(Duration backoff) {
        this.retryFirstBackoff = Objects.requireNonNull(backoff, "backoff");
    }

    /** Wraps the recipients file's stream, e.g. to make it fail (for tests). */
    void recipientsStream(UnaryOperator<InputStream> wrap) {
        this.recipientsStream = Objects.requireNonNull(wrap, "wrap");
    }

    /** Whether to install the Ctrl-C shutdown hook (for tests). */
    void installShutdownHook(boolean install) {
        this.installShutdownHook = install;
    }

    /**
     * Waits until the run has started sending (options checked, server up), for tests.
     *
     * @param timeout the longest wait
     * @return whether it started
     * @throws InterruptedException if interrupted
     */
    boolean awaitStarted(Duration timeout) throws InterruptedException {
        return started.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Checks the options, sends and prints the summary.
     *
     * @return the exit status
     */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            BulkOptions.Plan plan;
            try {
                plan = o.validate(err, env);
            } catch (IllegalArgumentException e) {
                ReportPrinter.printError(err, spec.qualifiedName(), e.getMessage());
                return ExitCodes.USAGE;
            }
            int code = run(plan, out, err);
            exitStatus = code;
            return code;
        } finally {
            started.countDown();
            finished.countDown();
        }
    }

    private int run(BulkOptions.Plan plan, PrintWriter out, PrintWriter err) {
        String command = spec.qualifiedName();
        BulkStats stats = new BulkStats();
        // For the start line and the progress's ETA, neither printed with --json: a pass over the file (40 ms for
        // 100,000 lines in a fresh JVM) saved there.
        OptionalLong totalLines = o.json ? OptionalLong.empty() : RecipientFile.countLinesIfSmall(o.recipientsFile);

        BulkClient bulkClient = null;
        BulkReport reportFile = null;
        Thread hook = null;
        try {
            bulkClient = BulkClient.open(o, plan, stats, retryFirstBackoff);
            bulkClient.tlsRptFrom(plan.sender(), err, command);
            bulkClient.pacingStateTo(o.delivery, err, command);
            SmtpClient client = bulkClient.client();
            SmtpClientOptions built = bulkClient.options();
            String serverText = bulkClient.serverText();

            if (o.report != null) {
                boolean append = o.retryFrom != null && Files.exists(o.report)
                        && Files.isSameFile(o.report, o.retryFrom);
                // Messages at servers at once: in flight, plus those waiting for a retry.
                int atServers = o.retries == 0 ? o.concurrency
                        : (int) Math.min(Integer.MAX_VALUE, (long) o.concurrency + built.maxAwaitingRetry());
                try {
                    reportFile = BulkReport.open(o.report, append, atServers, o.recipientsFile, o.perMessage);
                } catch (IOException e) {
                    ReportPrinter.printError(err, command, "--report: cannot write " + o.report + ": "
                            + e.getMessage());
                    return ExitCodes.USAGE;
                }
            }

            // Before the start line: whoever sees it may press Ctrl-C, and the run must then end with its summary.
            if (installShutdownHook) {
                hook = CtrlCHook.install("reactive-smtp-bulk-ctrl-c", this::interrupt, finished,
                        drainTimeout.plusSeconds(40), () -> exitStatus, out, err);
            }

            if (!o.json) {
                out.println(command + ": " + o.recipientsFile + " -> " + serverText);
                out.println("  " + (totalLines.isPresent() ? totalLines.getAsLong() + " line(s), " : "")
                        + o.perMessage + " recipient(s) per message, up to " + o.concurrency + " in flight"
                        + (o.delivery.rate != null ? ", at most " + o.delivery.rate + " messages/s per server" : "")
                        + (plan.skip().isEmpty() ? "" : ", skipping " + plan.skip().size()
                                + " recipients already accepted or refused in " + o.retryFrom)
                        + (o.suppress == null ? "" : ", " + plan.suppressed().size() + " address(es) suppressed by "
                                + o.suppress)
                        + (plan.skipUnknown().isEmpty() ? "" : ", skipping " + plan.skipUnknown().size()
                                + " recipients whose outcome is unknown in " + o.retryFrom));
                out.flush();
            }


            BulkReport writer = reportFile;
            AtomicReference<Throwable> readError = new AtomicReference<>();
            // Messages handed to the client and not yet recorded, by id: whoever removes one records it.
            Map<Long, List<RecipientFile.Recipient>> inFlight = new ConcurrentHashMap<>();
            AtomicLong letThrough = new AtomicLong();
            Flux<OutgoingMessage> messages = RecipientFile.recipients(o.recipientsFile, recipientsStream,
                            (line, text, reason) -> {
                                stats.badLines.incrementAndGet();
                                ReportPrinter.printError(err, command, o.recipientsFile + ":" + line
                                        + ": skipped, not an address: " + ReportPrinter.oneLine(reason));
                            }, address -> {
                                if (plan.skip().contains(address)) {
                                    stats.skipped.incrementAndGet();
                                    return true;
                                }
                                if (plan.skipUnknown().contains(address)) {
                                    stats.skipped.incrementAndGet();
                                    stats.skippedUnknown.incrementAndGet();
                                    return true;
                                }
                                return false;
                            }, stats.linesRead)
                    // --suppress: left out before any byte goes out, counted, and written to the report.
                    .filter(r -> {
                        if (!plan.suppressed(r.address())) {
                            return true;
                        }
                        stats.suppressed.incrementAndGet();
                        if (writer != null) {
                            writer.addSuppressed(r.text(), r.line());
                        }
                        return false;
                    })
                    // A read error ends the reading, not the run: what was handed out finishes and is reported.
                    // (As an error it would cancel the sends in flight, whose messages the server may have.)
                    .onErrorResume(e -> {
                        readError.set(e);
                        return Mono.empty();
                    })
                    .buffer(o.perMessage)
                    .map(batch -> BulkResults.message(batch, plan.sender(), plan.content()))
                    // The report's bound on messages at servers without their line on disk (blocks this worker).
                    // Counted over the messages let through so far, not those handed out: with the read-ahead
                    // below, a message waits in the queue after its check, and the bound must hold when it
                    // leaves (the messages before it are at most those counted; flushed only grows).
                    .takeWhile(m -> writer == null || writer.awaitRoom(letThrough.getAndIncrement(), this::stopping))
                    // Requests reach the file on a worker thread, never on an event loop.
                    .subscribeOn(Schedulers.boundedElastic())
                    // Read ahead: the sender asks for one message each time one ends; without a queue here each
                    // of those requests was a task and a thread wake-up on the worker.
                    .limitRate(READ_AHEAD)
                    .takeUntilOther(stop.asMono())
                    .doOnNext(m -> {
                        @SuppressWarnings("unchecked")
                        List<RecipientFile.Recipient> batch = (List<RecipientFile.Recipient>) m.id();
                        inFlight.put(batch.get(0).line(), batch);
                        stats.submitted.incrementAndGet();
                    });

            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            long start = System.nanoTime();
            // Results are counted and queued for the report on the thread that delivers them: nothing blocks.
            Disposable subscription = client.sendAll(messages)
                    .subscribe(result -> BulkResults.record(result, stats, writer, inFlight),
                            e -> {
                                failure.set(e);
                                done.countDown();
                            },
                            done::countDown);
            started.countDown();

            AtomicBoolean reportFailure = new AtomicBoolean();
            ProgressLine progress = new ProgressLine(out, command, !o.json, terminal, progressInterval, start);
            long lagShown = writer == null ? Long.MAX_VALUE : writer.maxUnreported() / 2;
            boolean abandoned = new RunLoop(ms -> done.await(ms, TimeUnit.MILLISECONDS), progress,
                    now -> stats.progress(now - start, totalLines.orElse(-1), writer == null ? 0 : writer.behind(),
                            lagShown), System::nanoTime)
                    .onStep((now, ended) -> {
                        if (writer != null && writer.failure() != null && reportFailure.compareAndSet(false, true)) {
                            progress.breakLine();
                            ReportPrinter.printError(err, command, "--report: cannot write " + o.report + ": "
                                    + writer.failure().getMessage() + "; taking no new messages");
                            takingNoMore.set(true);
                            stop.tryEmitEmpty();
                        }
                    })
                    .announceStop(stopRequested::get, () -> ReportPrinter.printError(err, command,
                            "interrupted: taking no new messages, waiting up to " + drainTimeout.toSeconds()
                                    + " s for the " + (stats.submitted.get() - stats.completed.get()) + " in flight"))
                    .drainTimeout(() -> stopRequestedAt, drainTimeout, subscription::dispose)
                    .run() == RunLoop.Ending.ABANDONED;
            boolean reportFailed = reportFailure.get();
            if (abandoned) {
                // No result will come: they get a line saying so, the server may have them.
                for (Long id : List.copyOf(inFlight.keySet())) {
                    List<RecipientFile.Recipient> batch = inFlight.remove(id);
                    if (batch != null) {
                        BulkResults.recordAbandoned(batch, stats, writer);
                    }
                }
            }
            long elapsed = System.nanoTime() - start;
            progress.clear();
            Throwable error = failure.get() != null ? failure.get() : readError.get();
            if (error != null) {
                ReportPrinter.printError(err, command, error instanceof UncheckedIOException u
                        ? u.getMessage() : String.valueOf(error));
            }
            int code = exitCode(stats, error != null || abandoned || reportFailed);
            if (writer != null) {
                reportFile = null; // finished here, not closed again below
                try {
                    writer.finish(code, stats.completed.get(), stats.abandoned(), stats.suppressed.get());
                } catch (IOException e) {
                    if (!reportFailed) {
                        ReportPrinter.printError(err, command, "--report: cannot write " + o.report + ": "
                                + e.getMessage());
                    }
                    reportFailed = true;
                    code = exitCode(stats, true);
                }
            }
            if (code == ExitCodes.FAILED && stats.recipients() > 0) {
                ReportPrinter.printError(err, command, "no recipient accepted; most frequent: "
                        + stats.topErrorsText(1));
            }
            exitStatus = code; // before the summary: a Ctrl-C hook that stops waiting then halts with what it says
            new BulkSummary(command, stats, elapsed, serverText, bulkClient.embedded(), stopRequested.get(), abandoned,
                    o.retryFrom, o.suppress, o.report, reportFailed, error, code).print(out, o.json);
            out.flush();
            err.flush();
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ReportPrinter.printError(err, command, "interrupted");
            return ExitCodes.FAILED;
        } catch (IOException e) {
            ReportPrinter.printError(err, command, e.getMessage());
            return ExitCodes.FAILED;
        } finally {
            if (bulkClient != null) {
                bulkClient.close();
            }
            if (reportFile != null) {
                try {
                    reportFile.close();
                } catch (IOException e) {
                    ReportPrinter.printError(err, command, "--report: " + e.getMessage());
                }
            }
            CtrlCHook.remove(hook);
        }
    }


    private int exitCode(BulkStats stats, boolean broken) {
        long accepted = stats.rcptAccepted.sum();
        long all = stats.recipients();
        if (all == 0) {
            // Nothing to send: fine when a --retry-from left nobody, a failure otherwise.
            return stats.skipped.get() + stats.suppressed.get() > 0 && stats.badLines.get() == 0 && !broken
                    ? ExitCodes.OK : ExitCodes.FAILED;
        }
        if (accepted == all && stats.badLines.get() == 0 && !stopRequested.get() && !broken) {
            return ExitCodes.OK;
        }
        return accepted > 0 ? ExitCodes.PARTIAL : ExitCodes.FAILED;
    }
}
