package io.reactivesmtp.cli;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import reactor.core.Exceptions;

/**
 * {@code reactive-smtp send}: sends one message, from a file or standard input, to one SMTP server, with
 * STARTTLS (required by default, certificates verified) and optionally AUTH, and reports recipient by
 * recipient what the server answered.
 *
 * <pre>{@code
 * reactive-smtp send (--server HOST:PORT | --mx [--tls-level may|encrypt|dane|verify|secure])
 *      --from ADDR --to ADDR [--to ADDR ...]
 *      [--tls none|opportunistic|required|implicit]  [--trust-pem FILE]
 *      [--user USER --password-env VARNAME]  [--helo NAME]  [--timeout-seconds N]
 *      [--dkim-key FILE --dkim-selector SEL --dkim-domain DOMAIN ...]
 *      [--json]  --body FILE   (or the message on standard input when --body is absent)
 * }</pre>
 *
 * <p>Everything on the command line is checked before any connection is made; a mistake ends the program with
 * status 2 and one line on standard error naming the option. The password is only ever read from the
 * environment variable named by {@code --password-env} and never printed, not even in error messages.
 * Standard input is copied to a temporary file (owner-only, deleted afterwards) and streamed from there, so a
 * large message never sits in memory.
 *
 * <p>Exit status: 0 every recipient accepted, 3 some accepted, 4 none accepted or no verdict (connection, TLS,
 * AUTH, timeout...), 2 usage error (see {@link ExitCodes}).
 */
@Command(name = "send",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Send one message (RFC 5322, from --body FILE or standard input) to an SMTP server and show, "
                    + "recipient by recipient, what it answered.",
            "TLS is required by default (STARTTLS, certificate and host name verified); the password is "
                    + "read from the environment variable named by --password-env and never printed."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            ExitCodes.OK_TEXT,
            ExitCodes.USAGE_TEXT,
            "3:some recipients accepted, some refused",
            ExitCodes.FAILED_TEXT
        })
public final class SendCommand implements Callable<Integer> {

    /** Beyond the sum of the per-phase timeouts, how long to wait for the report at most. */
    private static final Duration MARGIN = Duration.ofSeconds(10);

    /** The size of the blocks the content is read and written in (MessageContent.of(Path)). */
    private static final long BLOCK_BYTES = 64 * 1024;

    @Spec
    private CommandSpec spec;

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "The SMTP server, e.g. smtp.example.com:587 or [::1]:25; or --mx.")
    private String server;

    @Mixin
    private MxOptions mxOptions = new MxOptions();

    @Option(names = "--from", paramLabel = "ADDR", required = true, description = "The sender (MAIL FROM).")
    private String from;

    @Option(names = "--to", paramLabel = "ADDR", required = true, arity = "1..*",
            description = "A recipient (RCPT TO); repeat for several.")
    private List<String> to = new ArrayList<>();

    @Mixin
    private SecurityOptions security = new SecurityOptions();

    @Mixin
    private DkimOptions dkim = new DkimOptions();

    @Mixin
    private ComposeOptions compose = new ComposeOptions();

    @Option(names = "--helo", paramLabel = "NAME",
            description = "The name to send in EHLO/HELO. Default: the local address, e.g. [127.0.0.1].")
    private String helo;

    @Option(names = "--timeout-seconds", paramLabel = "N",
            description = "Wait at most N seconds in every phase (connect, greeting, TLS, each command, ...).")
    private Integer timeoutSeconds;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    @Option(names = "--body", paramLabel = "FILE",
            description = "The message (RFC 5322, headers and body); without it, standard input is sent.")
    private Path body;

    @Option(names = "--allow-empty", description = "Send the --body file even when it is empty (0 bytes).")
    private boolean allowEmpty;

    private InputStream stdin = System.in;
    private Function<String, String> env = System::getenv;
    private Path tempDir;

    /** Creates the command; picocli fills in its options. */
    public SendCommand() {
    }

    /** Replaces standard input (for tests). */
    void stdin(InputStream in) {
        this.stdin = Objects.requireNonNull(in, "in");
    }

    /** Replaces the environment lookup (for tests). */
    void env(Function<String, String> lookup) {
        this.env = Objects.requireNonNull(lookup, "lookup");
    }

    /** Where standard input is copied to; null for the system's temporary directory (for tests). */
    void tempDir(Path dir) {
        this.tempDir = dir;
    }

    /**
     * Validates the options, sends the message and prints the report.
     *
     * @return the exit status (see {@link ExitCodes})
     */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        Request request;
        try {
            request = validate();
        } catch (IllegalArgumentException e) {
            ReportPrinter.printError(err, spec.qualifiedName(), e.getMessage());
            return ExitCodes.USAGE;
        }

        Path temp = null;
        try {
            MessageContent content;
            if (request.content() != null) {
                content = request.content();
            } else {
                try {
                    temp = copyStdin();
                } catch (IOException | UncheckedIOException e) {
                    ReportPrinter.printError(err, spec.qualifiedName(), "cannot read the message from standard input: "
                            + e.getMessage());
                    return ExitCodes.USAGE;
                }
                if (Files.size(temp) == 0) {
                    ReportPrinter.printError(err, spec.qualifiedName(),
                            "standard input is empty: give the message there or with --body FILE");
                    return ExitCodes.USAGE;
                }
                try {
                    dkim.checkMessage("standard input", temp);
                } catch (IllegalArgumentException e) {
                    ReportPrinter.printError(err, spec.qualifiedName(), e.getMessage());
                    return ExitCodes.USAGE;
                }
                content = MessageContent.of(temp);
            }
            return send(request, content, out, err);
        } catch (IOException e) {
            ReportPrinter.printError(err, spec.qualifiedName(), "cannot read the message: " + e.getMessage());
            return ExitCodes.USAGE;
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    ReportPrinter.printError(err, spec.qualifiedName(), "cannot delete temporary file " + temp
                            + ": " + e.getMessage());
                }
            }
        }
    }

    /** Everything the user typed, checked. */
    private record Request(ServerAddress target, MxOptions.Plan mx, Envelope envelope,
            SmtpClientOptions.Builder options, MessageContent content) {
    }

    /**
     * Checks every option before anything is read from standard input or sent.
     *
     * @throws IllegalArgumentException with one line naming the option (and never the password)
     */
    private Request validate() {
        MxOptions.Plan mx = mxOptions.check(server != null, spec.commandLine().getParseResult().hasMatchedOption("--tls"));
        if (mx == null && server == null) {
            throw new IllegalArgumentException("give --server HOST:PORT, or --mx to deliver to the recipients' MX hosts");
        }
        ServerAddress target = mx == null ? ServerAddress.parse(server) : null;
        MailAddress sender = checked("--from", from);
        List<MailAddress> rcpts = new ArrayList<>();
        for (String r : to) {
            rcpts.add(checked("--to", r));
        }
        Envelope envelope = Envelope.builder().from(sender).to(rcpts).build();

        SmtpSessionOptions.Builder session = SmtpSessionOptions.builder();
        if (timeoutSeconds != null) {
            if (timeoutSeconds <= 0) {
                throw new IllegalArgumentException("--timeout-seconds must be a positive integer, not "
                        + timeoutSeconds);
            }
            session.allTimeouts(Duration.ofSeconds(timeoutSeconds));
        }
        if (helo != null) {
            // Its message names the input and says what is expected.
            session.heloName(helo);
        }
        security.applyTo(session, env);

        MessageContent content = null;
        if (body != null) {
            BulkOptions.checkNotEmpty(body, allowEmpty);
            try {
                content = MessageContent.of(body);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--body: " + ReportPrinter.oneLine(body.toString())
                        + " is not a readable file", e);
            }
        }

        if (compose.composes()) {
            if (body != null) {
                throw new IllegalArgumentException("--body and the compose options (--subject, --text, --html, "
                        + "--attach, --list-unsubscribe) exclude each other");
            }
            content = compose.content(envelope);
        }

        SmtpClientOptions.Builder options = SmtpClientOptions.builder()
                .session(session.build())
                .dkim(dkim.signers()); // keys read and checked here, before anything is sent
        if (target != null) {
            options.relay(target.host(), target.port()).build();
        }
        if (body != null) {
            dkim.checkMessage("--body", body);
        }
        return new Request(target, mx, envelope, options, content);
    }

    private static MailAddress checked(String option, String address) {
        try {
            return MailAddress.of(address);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }

    /** Copies standard input to an owner-only temporary file, so that it is streamed and not held in memory. */
    private Path copyStdin() throws IOException {
        if (stdin == System.in && System.console() != null) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(spec.qualifiedName() + ": reading the message from standard input (end it with Ctrl-D),"
                    + " or give --body FILE");
            err.flush();
        }
        Path temp = tempDir == null
                ? Files.createTempFile("reactive-smtp-send-", ".eml")
                : Files.createTempFile(tempDir, "reactive-smtp-send-", ".eml");
        try {
            Files.copy(stdin, temp, StandardCopyOption.REPLACE_EXISTING);
            return temp;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    private int send(Request request, MessageContent content, PrintWriter out, PrintWriter err) {
        MxRoute mx = request.mx() == null ? null : MxRoute.open(request.mx(), "reactive-smtp-send");
        if (mx != null) {
            mx.tlsRptFrom(request.envelope().sender().orElse(null), err, spec.qualifiedName());
        }
        try {
            return send(request, mx == null ? request.options().build() : mx.applyTo(request.options()).build(),
                    mx == null ? request.target().toString() : mx.describe(), content, out, err);
        } finally {
            if (mx != null) {
                mx.close();
            }
        }
    }

    private int send(Request request, SmtpClientOptions options, String serverName, MessageContent content,
            PrintWriter out, PrintWriter err) {
        SmtpClient client = SmtpClient.create(options);
        Duration bound = overallBound(options.session(), request.envelope().recipients().size(),
                content.size().orElse(0));
        ReportPrinter.Result result;
        try {
            SendReport report = client.send(request.envelope(), content).block(bound);
            result = new ReportPrinter.Result(serverName, report, null);
        } catch (RuntimeException e) {
            Throwable error = Exceptions.unwrap(e);
            if (error instanceof IllegalStateException && String.valueOf(error.getMessage()).startsWith("Timeout on blocking")) {
                error = new TimeoutException("no report from " + serverName + " within " + bound.toSeconds() + " s");
            }
            result = new ReportPrinter.Result(serverName, null, error);
        } finally {
            // QUIT on the pooled session and stop the client's event loop before the program ends.
            client.disposeLater().block(Duration.ofSeconds(10));
        }

        if (json) {
            ReportPrinter.printJson(out, result, true);
        } else {
            printText(out, request.envelope(), serverName, content, result);
        }
        out.flush();
        if (result.error() != null) {
            String message = result.error().getMessage();
            ReportPrinter.printError(err, spec.qualifiedName(), message == null || message.isEmpty()
                    ? result.error().getClass().getSimpleName() : message);
        }
        return result.exitCode();
    }

    /**
     * A safety net over the per-phase timeouts, which bound the session themselves: their sum, with one RCPT
     * timeout per recipient and one data-block timeout per 64 KiB of content, plus a margin.
     */
    static Duration overallBound(SmtpSessionOptions options, int recipients, long contentBytes) {
        Duration total = MARGIN;
        for (SmtpPhase phase : SmtpPhase.values()) {
            total = total.plus(options.timeout(phase));
        }
        total = total.plus(options.timeout(SmtpPhase.RCPT).multipliedBy(Math.max(0, recipients - 1)));
        return total.plus(options.timeout(SmtpPhase.DATA_BLOCK).multipliedBy(contentBytes / BLOCK_BYTES));
    }

    private void printText(PrintWriter out, Envelope envelope, String serverName, MessageContent content,
            ReportPrinter.Result result) {
        out.println("server:   " + serverName);
        ReportPrinter.printTls(out, result);
        out.println("from:     " + ReportPrinter.oneLine(envelope.sender().orElseThrow().toString()));
        out.println("message:  " + (body != null ? ReportPrinter.oneLine(body.toString()) : "standard input")
                + content.size().stream().mapToObj(n -> ", " + n + " bytes").findFirst().orElse(""));
        ReportPrinter.printText(out, result);
    }

    /** Reads {@code --tls} case-insensitively: none, opportunistic, required or implicit. */
    public static final class TlsPolicyConverter implements CommandLine.ITypeConverter<TlsPolicy> {

        /** Creates the converter (picocli instantiates it). */
        public TlsPolicyConverter() {
        }

        /**
         * @param value the option value
         * @return the policy
         * @throws CommandLine.TypeConversionException naming the accepted values
         */
        @Override
        public TlsPolicy convert(String value) {
            for (TlsPolicy p : TlsPolicy.values()) {
                if (p.name().equalsIgnoreCase(value)) {
                    return p;
                }
            }
            throw new CommandLine.TypeConversionException("expected none, opportunistic, required or implicit, not "
                    + CliJson.quote(value));
        }
    }
}
