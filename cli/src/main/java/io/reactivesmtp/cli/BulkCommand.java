package io.reactivesmtp.cli;

import io.netty.util.NetUtil;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.DnsMxResolver;
import io.reactivesmtp.reactor.MessageResult;
import io.reactivesmtp.reactor.OutgoingMessage;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.RateLimit;
import io.reactivesmtp.reactor.RetryPolicy;
import io.reactivesmtp.reactor.Routing;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.SmtpEventListener;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

/**
 * {@code reactive-smtp bulk}: sends one message ({@code --body FILE}) to every address of a recipients file,
 * {@code --per-message N} recipients per transaction, through {@link SmtpClient#sendAll}: the file is read
 * lazily as the client asks for more messages (backpressure), so its size does not matter.
 *
 * <pre>{@code
 * reactive-smtp bulk --from ADDR --recipients FILE --body FILE
 *      [--server HOST:PORT ... | --mx]  [--tls ...] [--trust-pem FILE] [--user U --password-env VAR]
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
 *       resolv.conf ({@link DnsMxResolver.Builder#nameServers(InetSocketAddress...)}); HOST must be an IP address.
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
            "Send one message (--body FILE) to every address of a recipients file (one per line, # comments), "
                    + "streamed with backpressure, with live progress, a JSONL report and a summary.",
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

    @Spec
    private CommandSpec spec;

    @Option(names = "--from", paramLabel = "ADDR", required = true, description = "The sender (MAIL FROM).")
    private String from;

    @Option(names = "--recipients", paramLabel = "FILE", required = true,
            description = "One address per line; blank lines and lines starting with # are ignored, bad lines "
                    + "reported (with their number) and skipped.")
    private Path recipientsFile;

    @Option(names = "--body", paramLabel = "FILE", required = true,
            description = "The message (RFC 5322, headers and body), sent as is in every transaction.")
    private Path body;

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "The relay; repeat for a failover list (tried in order). Default: an embedded server.")
    private List<String> servers = new ArrayList<>();

    @Option(names = "--mx", description = "Deliver straight to each recipient domain's MX hosts (port 25).")
    private boolean mx;

    // Test hooks (see the class comment): hidden from --help.
    @Option(names = "--dns-server", paramLabel = "HOST:PORT", hidden = true,
            description = "With --mx: the DNS server to ask instead of the system's (test hook).")
    private String dnsServer;

    @Option(names = "--mx-port", paramLabel = "PORT", hidden = true,
            description = "With --mx: the port of the MX hosts instead of 25 (test hook).")
    private String mxPort;

    @Mixin
    private SecurityOptions security = new SecurityOptions();

    @Mixin
    private DkimOptions dkim = new DkimOptions();

    @Option(names = "--per-message", paramLabel = "N", defaultValue = "1",
            description = "Recipients per transaction. Default: ${DEFAULT-VALUE}.")
    private int perMessage;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "10",
            description = "Messages in flight at most, overall. Default: ${DEFAULT-VALUE}.")
    private int concurrency;

    @Option(names = "--per-destination", paramLabel = "D",
            description = "Messages in flight (and connections) at most per destination (the relays, or one "
                    + "recipient domain with --mx). Default: the concurrency.")
    private Integer perDestination;

    @Option(names = "--rate", paramLabel = "MSGS_PER_S",
            description = "At most this many messages per second per destination server (token bucket, slowed "
                    + "down on 421 or 4.7.x).")
    private Double rate;

    @Option(names = "--max-per-connection", paramLabel = "M",
            description = "Transactions per connection before it is closed and a new one opened. Default: "
                    + PoolOptions.DEFAULT_MAX_MESSAGES_PER_CONNECTION + ".")
    private Integer maxPerConnection;

    @Option(names = "--retries", paramLabel = "K", defaultValue = "0",
            description = "Retry transient failures K times, only to the recipients that failed, with exponential "
                    + "backoff (first 30 s). Default: ${DEFAULT-VALUE}.")
    private int retries;

    @Option(names = "--report", paramLabel = "FILE.jsonl",
            description = "Write one JSON line per message (recipients and their results), from a thread of its own, "
                    + "flushed every 100 ms; a run never has more than a few times --concurrency messages at servers "
                    + "without their line on disk.")
    private Path report;

    @Option(names = "--retry-from", paramLabel = "FILE.jsonl",
            description = "A previous --report: send only to recipients whose last result there was transient, "
                    + "undetermined or missing (never again to an accepted or permanently refused one).")
    private Path retryFrom;

    @Option(names = "--json", description = "No progress; print one JSON summary object at the end.")
    private boolean json;

    @Option(names = "--allow-empty", description = "Send the --body file even when it is empty (0 bytes).")
    private boolean allowEmpty;

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

    /** Everything the user typed, checked. */
    private record Plan(MailAddress sender, MessageContent content, List<ServerAddress> relays,
            SmtpSessionOptions session, Set<String> skip, InetSocketAddress dnsServer, int mxPort) {
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
            Plan plan;
            try {
                plan = validate(err);
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

    private Plan validate(PrintWriter err) {
        MailAddress sender;
        try {
            sender = MailAddress.of(from);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--from: " + e.getMessage(), e);
        }
        if (!Files.isRegularFile(recipientsFile) || !Files.isReadable(recipientsFile)) {
            throw new IllegalArgumentException("--recipients: " + ReportPrinter.oneLine(recipientsFile.toString())
                    + " is not a readable file");
        }
        try {
            OptionalLong noText = RecipientFile.linesIfNoText(recipientsFile);
            if (noText.isPresent()) {
                throw new IllegalArgumentException("--recipients: " + ReportPrinter.oneLine(recipientsFile.toString())
                        + " is not a text file: none of its " + noText.getAsLong() + " line(s) is UTF-8 text without "
                        + "control characters");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--recipients: cannot read " + ReportPrinter.oneLine(
                    recipientsFile.toString()) + ": " + e.getMessage(), e);
        }
        checkNotEmpty(body, allowEmpty);
        MessageContent content;
        try {
            content = MessageContent.of(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--body: " + ReportPrinter.oneLine(body.toString())
                    + " is not a readable file", e);
        }
        List<DkimSigner> signers = dkim.signers(); // keys read and checked before anything is sent
        if (!signers.isEmpty()) {
            dkim.checkMessage("--body", body);
            content = content.signedWith(signers);
        }
        if (mx && !servers.isEmpty()) {
            throw new IllegalArgumentException("--mx and --server exclude each other: give one or the other");
        }
        List<ServerAddress> relays = new ArrayList<>();
        for (String s : servers) {
            try {
                relays.add(ServerAddress.parse(s));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--server: " + e.getMessage(), e);
            }
        }
        if (!mx && (dnsServer != null || mxPort != null)) {
            throw new IllegalArgumentException((dnsServer != null ? "--dns-server" : "--mx-port") + " needs --mx");
        }
        InetSocketAddress dns = dnsServer == null ? null : dnsServer(dnsServer);
        int port = mxPort == null ? SmtpClientOptions.DEFAULT_MX_PORT : mxPort(mxPort);
        positive("--per-message", perMessage);
        positive("--concurrency", concurrency);
        if (perDestination != null) {
            positive("--per-destination", perDestination);
        }
        if (maxPerConnection != null) {
            positive("--max-per-connection", maxPerConnection);
        }
        if (rate != null && !(rate > 0 && rate <= 1_000_000)) {
            throw new IllegalArgumentException("--rate must be a number of messages per second above 0, not " + rate);
        }
        if (retries < 0 || retries > 100) {
            throw new IllegalArgumentException("--retries must be 0 to 100, not " + retries);
        }

        SmtpSessionOptions.Builder session = SmtpSessionOptions.builder();
        boolean embedded = relays.isEmpty() && !mx;
        if (embedded) {
            boolean tlsGiven = spec.commandLine().getParseResult().hasMatchedOption("--tls");
            if (security.trustOrCredentialsGiven() || tlsGiven && security.tls() != TlsPolicy.NONE) {
                throw new IllegalArgumentException("--tls, --trust-pem, --user and --password-env need --server or "
                        + "--mx: the embedded server speaks plaintext only");
            }
            session.tls(TlsPolicy.NONE);
        } else {
            security.applyTo(session, env);
        }

        Set<String> skip = Set.of();
        if (retryFrom != null) {
            if (!Files.isRegularFile(retryFrom) || !Files.isReadable(retryFrom)) {
                throw new IllegalArgumentException("--retry-from: " + ReportPrinter.oneLine(retryFrom.toString())
                        + " is not a readable file");
            }
            BulkReport.Previous previous;
            try {
                previous = BulkReport.readPrevious(retryFrom, err, spec.qualifiedName());
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("--retry-from: cannot read " + retryFrom + ": " + e.getMessage(), e);
            }
            skip = previous.skip();
            if (previous.mayRepeat() > 0) {
                ReportPrinter.printError(err, spec.qualifiedName(), "warning: --retry-from "
                        + ReportPrinter.oneLine(retryFrom.toString()) + ": up to " + previous.mayRepeat()
                        + " message(s) were at a server without a result in it at the end of "
                        + (previous.killed() ? "a run that was killed" : "a run that gave up on them")
                        + "; their recipients are sent to again and may get this message twice");
            }
        }
        return new Plan(sender, content, relays, session.build(), skip, dns, port);
    }

    /** {@code --dns-server}: HOST:PORT with an IP address, so that finding the DNS server needs no DNS. */
    private static InetSocketAddress dnsServer(String text) {
        ServerAddress a;
        try {
            a = ServerAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--dns-server: " + e.getMessage(), e);
        }
        InetAddress ip = NetUtil.createInetAddressFromIpAddressString(a.host());
        if (ip == null) {
            throw new IllegalArgumentException("--dns-server: " + CliJson.quote(text)
                    + " must name an IP address, not a host name, e.g. 127.0.0.1:5353");
        }
        return new InetSocketAddress(ip, a.port());
    }

    /** {@code --mx-port}: 1 to 65535. */
    private static int mxPort(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
            throw new IllegalArgumentException("--mx-port must be a port number 1-65535, not " + CliJson.quote(text));
        }
        return Integer.parseInt(text);
    }

    /**
     * An empty body is refused unless asked for: a zero-byte message is almost always a mistake (a failed export,
     * the wrong file).
     */
    static void checkNotEmpty(Path body, boolean allowEmpty) {
        try {
            if (!allowEmpty && Files.isRegularFile(body) && Files.size(body) == 0) {
                throw new IllegalArgumentException("--body: " + ReportPrinter.oneLine(body.toString())
                        + " is empty (0 bytes); give --allow-empty to send an empty message");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--body: cannot read " + ReportPrinter.oneLine(body.toString()) + ": "
                    + e.getMessage(), e);
        }
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, not " + value);
        }
    }

    private int run(Plan plan, PrintWriter out, PrintWriter err) {
        String command = spec.qualifiedName();
        BulkStats stats = new BulkStats();
        OptionalLong totalLines = RecipientFile.countLinesIfSmall(recipientsFile);

        SubethaSmtpServer embedded = null;
        LoopResources loops = null;
        DnsMxResolver resolver = null;
        BulkReport reportFile = null;
        SmtpClient client = null;
        Thread hook = null;
        try {
            SmtpClientOptions.Builder options = SmtpClientOptions.builder().session(plan.session());
            String serverText;
            if (mx) {
                loops = LoopResources.create("reactive-smtp-bulk", 1, true);
                DnsMxResolver.Builder dns = DnsMxResolver.builder(loops.onClient(true).next());
                if (plan.dnsServer() != null) {
                    dns.nameServers(plan.dnsServer());
                }
                resolver = dns.build();
                // The client resolves the MX host names through the same resolver, so its DNS server too.
                options.loopResources(loops).routing(Routing.mx(resolver)).mxPort(plan.mxPort());
                serverText = "MX of each recipient domain (port " + plan.mxPort() + "), TLS " + tlsName(plan)
                        + (plan.dnsServer() == null ? ""
                        : ", DNS server " + new ServerAddress(plan.dnsServer().getHostString(),
                        plan.dnsServer().getPort()));
            } else if (plan.relays().isEmpty()) {
                embedded = DemoServer.start();
                options.relay(DemoServer.HOST, embedded.port());
                serverText = DemoServer.describe(embedded) + " (no --server or --mx given: started in-process, TLS none)";
            } else {
                List<InetSocketAddress> relays = new ArrayList<>();
                for (ServerAddress a : plan.relays()) {
                    relays.add(InetSocketAddress.createUnresolved(a.host(), a.port()));
                }
                options.routing(Routing.relays(relays));
                serverText = String.join(", ", plan.relays().stream().map(ServerAddress::toString).toList())
                        + (relays.size() > 1 ? " (in this order, failover)" : "") + ", TLS " + tlsName(plan);
            }
            int perDest = perDestination != null ? perDestination : concurrency;
            PoolOptions.Builder pool = PoolOptions.builder().maxConnectionsPerDestination(perDest);
            if (maxPerConnection != null) {
                pool.maxMessagesPerConnection(maxPerConnection);
            }
            options.pool(pool.build()).maxInFlight(concurrency).maxInFlightPerDestination(perDest)
                    .eventListener(new SmtpEventListener() {
                        @Override
                        public void sessionReady(String destination, SmtpSession session, Duration elapsed) {
                            stats.connections.incrementAndGet();
                        }
                    });
            if (rate != null) {
                options.rateLimit(RateLimit.perSecond(rate));
            }
            if (retries > 0) {
                options.retry(RetryPolicy.builder().maxAttempts(retries + 1).firstBackoff(retryFirstBackoff).build());
            }
            SmtpClientOptions built = options.build();
            client = SmtpClient.create(built);

            if (report != null) {
                boolean append = retryFrom != null && Files.exists(report) && Files.isSameFile(report, retryFrom);
                // Messages at servers at once: in flight, plus those waiting for a retry.
                int atServers = retries == 0 ? concurrency
                        : (int) Math.min(Integer.MAX_VALUE, (long) concurrency + built.maxAwaitingRetry());
                try {
                    reportFile = BulkReport.open(report, append, atServers, recipientsFile, perMessage);
                } catch (IOException e) {
                    ReportPrinter.printError(err, command, "--report: cannot write " + report + ": " + e.getMessage());
                    return ExitCodes.USAGE;
                }
            }

            if (!json) {
                out.println(command + ": " + recipientsFile + " -> " + serverText);
                out.println("  " + (totalLines.isPresent() ? totalLines.getAsLong() + " line(s), " : "")
                        + perMessage + " recipient(s) per message, up to " + concurrency + " in flight"
                        + (rate != null ? ", at most " + rate + " messages/s per server" : "")
                        + (plan.skip().isEmpty() ? "" : ", skipping " + plan.skip().size()
                                + " recipients already accepted or refused in " + retryFrom));
                out.flush();
            }

            if (installShutdownHook) {
                hook = CtrlCHook.install("reactive-smtp-bulk-ctrl-c", () -> {
                    interrupt();
                    try {
                        finished.await(drainTimeout.toMillis() + 40_000, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    out.flush();
                    err.flush();
                    // Once the JVM shuts down (SIGINT, SIGTERM) System.exit cannot change the status any more: the
                    // process would end with 130 or 143 while the summary says otherwise. Halt with the printed one.
                    Runtime.getRuntime().halt(exitStatus);
                });
            }

            BulkReport writer = reportFile;
            AtomicReference<Throwable> readError = new AtomicReference<>();
            // Messages handed to the client and not yet recorded, by id: whoever removes one records it.
            Map<Long, List<RecipientFile.Recipient>> inFlight = new ConcurrentHashMap<>();
            Flux<OutgoingMessage> messages = RecipientFile.recipients(recipientsFile, recipientsStream,
                            (line, text, reason) -> {
                                stats.badLines.incrementAndGet();
                                ReportPrinter.printError(err, command, recipientsFile + ":" + line
                                        + ": skipped, not an address: " + ReportPrinter.oneLine(reason));
                            }, plan.skip(), stats.skipped, stats.linesRead)
                    // A read error ends the reading, not the run: what was handed out finishes and is reported.
                    // (As an error it would cancel the sends in flight, whose messages the server may have.)
                    .onErrorResume(e -> {
                        readError.set(e);
                        return Mono.empty();
                    })
                    .buffer(perMessage)
                    .map(batch -> BulkResults.message(batch, plan.sender(), plan.content()))
                    // The report's bound on messages at servers without their line on disk (blocks this worker).
                    .takeWhile(m -> writer == null || writer.awaitRoom(stats.submitted.get(), this::stopping))
                    // Requests reach the file on a worker thread, never on an event loop.
                    .subscribeOn(Schedulers.boundedElastic())
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

            boolean abandoned = false;
            boolean announced = false;
            boolean reportFailed = false;
            ProgressLine progress = new ProgressLine(out, command, !json, terminal, progressInterval, start);
            long lagShown = writer == null ? Long.MAX_VALUE : writer.maxUnreported() / 2;
            while (true) {
                boolean ended = done.await(50, TimeUnit.MILLISECONDS);
                long now = System.nanoTime();
                if (!ended) {
                    progress.tick(now, () -> stats.progress(now - start, totalLines.orElse(-1),
                            writer == null ? 0 : writer.behind(), lagShown));
                }
                if (writer != null && writer.failure() != null && !reportFailed) {
                    reportFailed = true;
                    progress.breakLine();
                    ReportPrinter.printError(err, command, "--report: cannot write " + report + ": "
                            + writer.failure().getMessage() + "; taking no new messages");
                    takingNoMore.set(true);
                    stop.tryEmitEmpty();
                }
                if (stopRequested.get() && !announced) {
                    announced = true;
                    progress.breakLine();
                    ReportPrinter.printError(err, command, "interrupted: taking no new messages, waiting up to "
                            + drainTimeout.toSeconds() + " s for the " + (stats.submitted.get()
                            - stats.completed.get()) + " in flight");
                }
                if (ended) {
                    break;
                }
                if (stopRequested.get() && now - stopRequestedAt > drainTimeout.toNanos()) {
                    subscription.dispose();
                    abandoned = true;
                    break;
                }
            }
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
                    writer.finish(code, stats.completed.get(), stats.abandoned());
                } catch (IOException e) {
                    if (!reportFailed) {
                        ReportPrinter.printError(err, command, "--report: cannot write " + report + ": "
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
            new BulkSummary(command, stats, elapsed, serverText, embedded != null, stopRequested.get(), abandoned,
                    retryFrom, report, reportFailed, error, code).print(out, json);
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
            if (client != null) {
                // QUIT on the pooled sessions before the program ends.
                try {
                    client.disposeLater().block(Duration.ofSeconds(10));
                } catch (RuntimeException e) {
                    // Closing only: the summary is out.
                }
            }
            if (resolver != null) {
                resolver.close();
            }
            if (loops != null) {
                loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
            }
            if (embedded != null) {
                embedded.close();
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


    private String tlsName(Plan plan) {
        return plan.session().tls().policy().name().toLowerCase(Locale.ROOT);
    }

    private int exitCode(BulkStats stats, boolean broken) {
        long accepted = stats.rcptAccepted.sum();
        long all = stats.recipients();
        if (all == 0) {
            // Nothing to send: fine when a --retry-from left nobody, a failure otherwise.
            return stats.skipped.get() > 0 && stats.badLines.get() == 0 && !broken ? ExitCodes.OK : ExitCodes.FAILED;
        }
        if (accepted == all && stats.badLines.get() == 0 && !stopRequested.get() && !broken) {
            return ExitCodes.OK;
        }
        return accepted > 0 ? ExitCodes.PARTIAL : ExitCodes.FAILED;
    }
}
