package io.reactivesmtp.cli;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.dkim.DkimSigner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options of {@code bulk} (see {@link BulkCommand}) and their checking: {@link #validate} turns them into a
 * {@link Plan} or names the option that is wrong, before anything is started or sent.
 */
final class BulkOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--from", paramLabel = "ADDR", required = true, description = "The sender (MAIL FROM).")
    String from;

    @Option(names = "--recipients", paramLabel = "FILE", required = true,
            description = "One address per line; blank lines and lines starting with # are ignored, bad lines "
                    + "reported (with their number) and skipped.")
    Path recipientsFile;

    @Option(names = "--body", paramLabel = "FILE",
            description = "The message (RFC 5322, headers and body), sent as is in every transaction. Or compose "
                    + "it with the options below: each recipient then gets a message with its own To and Message-ID.")
    Path body;

    @Mixin
    ComposeOptions compose = new ComposeOptions();

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "The relay; repeat for a failover list (tried in order). Default: an embedded server.")
    List<String> servers = new ArrayList<>();

    @Mixin
    MxOptions mxOptions = new MxOptions();

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Mixin
    DkimOptions dkim = new DkimOptions();

    @Option(names = "--per-message", paramLabel = "N", defaultValue = "1",
            description = "Recipients per transaction. Default: ${DEFAULT-VALUE}.")
    int perMessage;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "10",
            description = "Messages in flight at most, overall. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--per-destination", paramLabel = "D",
            description = "Messages in flight (and connections) at most per destination (the relays, or one "
                    + "recipient domain with --mx). Default: the concurrency.")
    Integer perDestination;

    @Mixin
    DeliveryOptions delivery = new DeliveryOptions();

    @Option(names = "--retries", paramLabel = "K", defaultValue = "0",
            description = "Retry transient failures K times, only to the recipients that failed, with exponential "
                    + "backoff (first 30 s). Default: ${DEFAULT-VALUE}.")
    int retries;

    @Option(names = "--report", paramLabel = "FILE.jsonl",
            description = "Write one JSON line per message (recipients and their results), from a thread of its own, "
                    + "flushed every 100 ms; a run never has more than a few times --concurrency messages at servers "
                    + "without their line on disk.")
    Path report;

    @Option(names = "--retry-from", paramLabel = "FILE.jsonl",
            description = "A previous --report: send only to recipients whose last result there was transient "
                    + "or missing (never again to an accepted or permanently refused one, and to one whose outcome "
                    + "is unknown only with --retry-unknown).")
    Path retryFrom;

    @Option(names = "--suppress", paramLabel = "FILE",
            description = "A suppression list (one address per line, # comments; what `bounces --suppression-list` "
                    + "writes): its addresses are left out (any case), counted and written to the report; nothing is "
                    + "sent to them.")
    Path suppress;
    @Option(names = "--retry-unknown",
            description = "With --retry-from: also send again to recipients whose outcome is unknown there "
                    + "(UNKNOWN_AFTER_DATA: the message went out and no reply to it came; UNDETERMINED: given up on "
                    + "in flight). They may get the message twice.")
    boolean retryUnknown;

    @Option(names = "--json", description = "No progress; print one JSON summary object at the end.")
    boolean json;

    @Option(names = "--allow-empty", description = "Send the --body file even when it is empty (0 bytes).")
    boolean allowEmpty;

    /**
     * Everything the user typed, checked. {@code skip} holds the recipients done in {@code --retry-from} (accepted or
     * refused for good); {@code skipUnknown} those whose outcome is unknown there, left out unless
     * {@code --retry-unknown} (then it is empty).
     */
    record Plan(MailAddress sender, Function<Envelope, MessageContent> content, List<ServerAddress> relays,
            SmtpSessionOptions session, Set<String> skip, Set<String> skipUnknown, MxOptions.Plan mx,
            Set<String> suppressed) {

        /** @return whether an address is on the --suppress list */
        boolean suppressed(MailAddress address) {
            return !suppressed.isEmpty() && suppressed.contains(SuppressionList.key(address.toString()));
        }
    }

    /**
     * Checks everything the user typed, before anything is started or sent.
     *
     * @param err where warnings go (a --retry-from report that may repeat messages)
     * @param env the environment lookup (--password-env)
     * @return the checked plan
     * @throws IllegalArgumentException naming the option that is wrong
     */
    Plan validate(PrintWriter err, Function<String, String> env) {
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
        Function<Envelope, MessageContent> content = content(sender);
        boolean tlsGiven = spec.commandLine().getParseResult().hasMatchedOption("--tls");
        MxOptions.Plan mx = mxOptions.check(!servers.isEmpty(), tlsGiven);
        List<ServerAddress> relays = DeliveryOptions.relays(servers);
        DeliveryOptions.positive("--per-message", perMessage);
        DeliveryOptions.positive("--concurrency", concurrency);
        if (perDestination != null) {
            DeliveryOptions.positive("--per-destination", perDestination);
        }
        delivery.check(perDestination != null ? perDestination : concurrency, mx != null);
        if (retries < 0 || retries > 100) {
            throw new IllegalArgumentException("--retries must be 0 to 100, not " + retries);
        }

        SmtpSessionOptions.Builder session = SmtpSessionOptions.builder();
        boolean embedded = relays.isEmpty() && mx == null;
        if (embedded) {
            if (security.trustOrCredentialsGiven() || tlsGiven && security.tls() != TlsPolicy.NONE) {
                throw new IllegalArgumentException("--tls, --trust-pem, --user and --password-env need --server or "
                        + "--mx: the embedded server speaks plaintext only");
            }
            session.tls(TlsPolicy.NONE);
        } else {
            security.applyTo(session, env);
        }

        Set<String> skip = Set.of();
        Set<String> skipUnknown = Set.of();
        if (retryUnknown && retryFrom == null) {
            throw new IllegalArgumentException("--retry-unknown needs --retry-from");
        }
        if (retryFrom != null) {
            if (!Files.isRegularFile(retryFrom) || !Files.isReadable(retryFrom)) {
                throw new IllegalArgumentException("--retry-from: " + ReportPrinter.oneLine(retryFrom.toString())
                        + " is not a readable file");
            }
            PreviousReport previous;
            try {
                previous = PreviousReport.read(retryFrom, err, spec.qualifiedName());
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("--retry-from: cannot read " + retryFrom + ": " + e.getMessage(), e);
            }
            skip = previous.skip();
            skipUnknown = retryUnknown ? Set.of() : previous.unknown();
            if (!previous.unknown().isEmpty()) {
                ReportPrinter.printError(err, spec.qualifiedName(), (retryUnknown ? "warning: " : "") + "--retry-from "
                        + ReportPrinter.oneLine(retryFrom.toString()) + ": " + previous.unknown().size()
                        + " recipient(s) with an unknown outcome (the message went out, no reply came): "
                        + (retryUnknown ? "sent to again (--retry-unknown); they may get this message twice"
                                : "skipped; give --retry-unknown to send to them again"));
            }
            if (previous.mayRepeat() > 0) {
                ReportPrinter.printError(err, spec.qualifiedName(), "warning: --retry-from "
                        + ReportPrinter.oneLine(retryFrom.toString()) + ": up to " + previous.mayRepeat()
                        + " message(s) were at a server without a result in it at the end of "
                        + (previous.killed() ? "a run that was killed" : "a run that gave up on them")
                        + "; their recipients are sent to again and may get this message twice");
            }
        }
        Set<String> suppressed = Set.of();
        if (suppress != null) {
            try {
                suppressed = SuppressionList.read(suppress);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--suppress: " + e.getMessage(), e);
            }
        }
        return new Plan(sender, content, relays, session.build(), skip, skipUnknown, mx, suppressed);
    }

    /**
     * The message of each transaction: the --body file as it is (the same for all), or one composed per message
     * with its recipients in To. Everything is checked here, naming the option, before anything is sent.
     */
    private Function<Envelope, MessageContent> content(MailAddress sender) {
        List<DkimSigner> signers = dkim.signers(); // keys read and checked before anything is sent
        if (compose.composes()) {
            if (body != null) {
                throw new IllegalArgumentException("--body and the compose options (--subject, --text, --html, "
                        + "--attach, --list-unsubscribe) exclude each other");
            }
            if (perMessage != 1) {
                throw new IllegalArgumentException("--per-message " + perMessage + ": a composed message is built "
                        + "for each recipient with that recipient in its To, so it goes to one recipient per "
                        + "transaction; leave --per-message at 1, or give the message with --body");
            }
            Function<Envelope, MessageContent> composer = compose.composer(sender);
            return signers.isEmpty() ? composer : envelope -> composer.apply(envelope).signedWith(signers);
        }
        if (body == null) {
            throw new IllegalArgumentException("no message: give --body FILE, or compose one with --subject, --text "
                    + "FILE, --html FILE, --attach FILE and --list-unsubscribe URI");
        }
        checkNotEmpty(body, allowEmpty);
        MessageContent content;
        try {
            content = bodyContent(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--body: " + ReportPrinter.oneLine(body.toString())
                    + " is not a readable file", e);
        }
        if (!signers.isEmpty()) {
            dkim.checkMessage("--body", body);
            content = content.signedWith(signers);
        }
        MessageContent same = content;
        return envelope -> same;
    }

    /** A --body file up to this size is read once and every transaction sends the same bytes from memory. */
    static final long HELD_IN_MEMORY = 1 << 20;

    /**
     * The --body file's content: read once when it is small (a bulk run sends it thousands of times, and opening
     * the file for each transaction cost a file open, a thread hop and two reads per message), streamed from the
     * file for each transaction when it is larger than {@link #HELD_IN_MEMORY}, so memory stays bounded.
     */
    static MessageContent bodyContent(Path body) {
        try {
            if (Files.isRegularFile(body) && Files.size(body) <= HELD_IN_MEMORY) {
                return MessageContent.of(Files.readAllBytes(body));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read it: " + e.getMessage(), e);
        }
        return MessageContent.of(body);
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
}
