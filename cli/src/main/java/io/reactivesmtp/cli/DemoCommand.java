package io.reactivesmtp.cli;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import reactor.core.Exceptions;

/**
 * {@code reactive-smtp demo}: sends one small message with the Reactor API and prints, recipient by
 * recipient, what the server answered.
 *
 * <p>Without {@code --server} it starts an {@link DemoServer} on {@code 127.0.0.1} that refuses
 * {@code nobody@example.net} (550) and {@code busy@example.net} (451) and accepts everyone else, so the
 * default run ends PARTIAL with exit status 3: two recipients accepted, one refused for good, one worth
 * retrying later.
 */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Send one message and show, recipient by recipient, what the server answered.",
            "Without --server, an embedded SMTP server on 127.0.0.1 accepts alice@ and bob@example.com, "
                    + "refuses nobody@example.net (550) and busy@example.net (451): the default run ends "
                    + "PARTIAL with exit status 3, which is what it is meant to show."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            ExitCodes.OK_TEXT,
            ExitCodes.USAGE_TEXT,
            ExitCodes.PARTIAL_TEXT,
            ExitCodes.FAILED_TEXT
        })
public final class DemoCommand implements Callable<Integer> {

    /** The default sender. */
    public static final String DEFAULT_FROM = "demo@example.com";
    /** The default recipients: two the embedded server accepts, one it refuses for good, one for now. */
    public static final List<String> DEFAULT_TO =
            List.of("alice@example.com", "bob@example.com", "nobody@example.net", "busy@example.net");
    /** How long to wait for the report at most. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final DateTimeFormatter RFC_5322_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    @Spec
    private CommandSpec spec;

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "Send to this SMTP server (no TLS, no AUTH) instead of the embedded one.")
    private String server;

    @Option(names = "--from", paramLabel = "ADDR", defaultValue = DEFAULT_FROM,
            description = "The sender (MAIL FROM). Default: ${DEFAULT-VALUE}.")
    private String from;

    @Option(names = "--to", paramLabel = "ADDR", arity = "1..*",
            description = "A recipient (RCPT TO); repeat or list several. Default: alice@example.com "
                    + "bob@example.com nobody@example.net busy@example.net.")
    private List<String> to = new ArrayList<>();

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    /** Creates the command; picocli fills in its options. */
    public DemoCommand() {
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
        List<String> recipients = to.isEmpty() ? DEFAULT_TO : to;

        // Everything the user typed is checked before any server is started or contacted.
        Envelope envelope;
        ServerAddress target = null;
        try {
            MailAddress sender = checked("--from", from);
            List<MailAddress> rcpts = new ArrayList<>();
            for (String r : recipients) {
                rcpts.add(checked("--to", r));
            }
            envelope = Envelope.builder().from(sender).to(rcpts).build();
            if (server != null) {
                target = ServerAddress.parse(server);
                SmtpClientOptions.builder().relay(target.host(), target.port()).build();
            }
        } catch (IllegalArgumentException e) {
            err.println(spec.qualifiedName() + ": " + ReportPrinter.oneLine(e.getMessage()));
            err.flush();
            return ExitCodes.USAGE;
        }

        SubethaSmtpServer embedded = target == null ? DemoServer.start() : null;
        try {
            if (embedded != null) {
                target = new ServerAddress(DemoServer.HOST, embedded.port());
            }
            String messageId = "<" + UUID.randomUUID() + "@" + envelope.sender().orElseThrow().asciiDomain() + ">";
            String text = message(envelope, messageId);
            // The embedded server has no TLS; a real one gets STARTTLS when it offers it, certificates verified.
            TlsPolicy tls = embedded != null ? TlsPolicy.NONE : TlsPolicy.OPPORTUNISTIC;
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay(target.host(), target.port())
                    .session(SmtpSessionOptions.builder().tls(tls).build())
                    .build());

            ReportPrinter.Result result;
            try {
                SendReport report = client.send(envelope, MessageContent.of(text)).block(TIMEOUT);
                result = new ReportPrinter.Result(target.toString(), report, null);
            } catch (RuntimeException e) {
                result = new ReportPrinter.Result(target.toString(), null, Exceptions.unwrap(e));
            } finally {
                // QUIT on the pooled session and stop the client's event loop before the program ends.
                client.disposeLater().block(Duration.ofSeconds(10));
            }

            if (json) {
                ReportPrinter.printJson(out, result);
            } else {
                printText(out, envelope, messageId, text, embedded, target, result);
            }
            out.flush();
            return result.exitCode();
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static MailAddress checked(String option, String address) {
        try {
            return MailAddress.of(address);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }

    /** A small RFC 5322 message. */
    static String message(Envelope envelope, String messageId) {
        String rcpts = envelope.recipients().stream().map(MailAddress::toString)
                .collect(Collectors.joining(",\r\n    "));
        return "Date: " + RFC_5322_DATE.format(ZonedDateTime.now()) + "\r\n"
                + "From: " + envelope.sender().orElseThrow() + "\r\n"
                + "To: " + rcpts + "\r\n"
                + "Subject: Hello from reactive-smtp demo\r\n"
                + "Message-ID: " + messageId + "\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=UTF-8\r\n"
                + "\r\n"
                + "This message was sent by `reactive-smtp demo`, one SMTP transaction with\r\n"
                + "MAIL FROM, one RCPT TO per recipient and DATA, pipelined when the server allows it.\r\n"
                + "\r\n"
                + ".A line starting with a dot, to show dot-stuffing.\r\n";
    }

    private void printText(PrintWriter out, Envelope envelope, String messageId, String text,
            SubethaSmtpServer embedded, ServerAddress target, ReportPrinter.Result result) {
        out.println("reactive-smtp demo: one message to " + envelope.recipients().size()
                + " recipient(s) with the Reactor API");
        out.println("server:   " + target + (embedded == null ? "" : " (" + DemoServer.describe(embedded) + ")"));
        if (result.report() != null) {
            result.report().capabilities().ifPresent(c -> out.println("esmtp:    "
                    + (c.pipelining() ? "PIPELINING (MAIL/RCPT/DATA sent in one go)" : "no PIPELINING (lock-step)")
                    + (c.eightBitMime() ? ", 8BITMIME" : "") + (c.smtpUtf8() ? ", SMTPUTF8" : "")
                    + (c.chunking() ? ", CHUNKING" : "") + (c.startTls() ? ", STARTTLS" : "")));
        }
        out.println("from:     " + envelope.sender().orElseThrow());
        out.println("message:  " + messageId + ", " + text.getBytes(StandardCharsets.UTF_8).length + " bytes");
        ReportPrinter.printText(out, result);
        if (embedded != null) {
            List<SubethaSmtpServer.ReceivedMessage> received = embedded.messages();
            out.println();
            if (received.isEmpty()) {
                out.println("embedded server received no message");
            }
            for (SubethaSmtpServer.ReceivedMessage m : received) {
                out.println("embedded server received 1 message (" + m.data().length + " bytes) from "
                        + ReportPrinter.oneLine(m.from()) + " for "
                        + ReportPrinter.oneLine(String.join(", ", m.recipients())));
            }
            if (result.exitCode() == ExitCodes.PARTIAL) {
                out.println("exit status 3 (partial delivery): expected here; the 550 is final, "
                        + "the 451 is worth retrying later");
            }
        }
    }
}
