package io.reactivesmtp.cli;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.bounce.BounceParseException;
import io.reactivesmtp.bounce.BounceParser;
import io.reactivesmtp.bounce.BounceReport;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code reactive-smtp bounces}: reads the bounces and complaints that came back to a bulk sender (mbox files or
 * Maildir directories) with {@link BounceParser}, writes one JSON line per message, and a suppression list of the
 * hard bounces ({@code 5.x.x}) and complaints that {@code bulk --suppress FILE} then leaves out.
 *
 * <pre>{@code
 * reactive-smtp bounces ~/Maildir/bounces --output bounces.jsonl --suppression-list suppress.txt
 * reactive-smtp bulk ... --suppress suppress.txt
 * }</pre>
 *
 * <p>Every input is checked before any is read: a missing file, a directory that is not a Maildir or a file that is
 * not an mbox is a usage error (2) naming it. A message that cannot be read gets a line with its {@code error} and a
 * line on standard error naming its place ({@code FILE:LINE} of its {@code From } line, or the Maildir file); the run
 * goes on and ends with status 3. Addresses found only by guessing ({@code "confidence": "UNCERTAIN"}) are never
 * suppressed.
 */
@Command(name = "bounces",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Read bounces (RFC 3464 delivery status notifications, also non-standard ones) and complaints (RFC 5965 "
                    + "feedback reports) from mbox files or Maildir directories; write one JSON line per message "
                    + "and a suppression list (hard bounces 5.x.x and complaints) for bulk --suppress."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:every message read",
            "2:usage error (a missing or unreadable input); nothing read",
            "3:some messages could not be read (see their error lines)",
            "4:an input could not be read to its end, or an output not written"
        })
public final class BouncesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "MAILBOX", arity = "1..*",
            description = "An mbox file or a Maildir directory (its new/ and cur/ are read).")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--output", paramLabel = "FILE.jsonl",
            description = "Where the JSON lines go. Default: standard output (the summary then goes to standard "
                    + "error).")
    Path output;

    @Option(names = "--suppression-list", paramLabel = "FILE",
            description = "Write the addresses to suppress (hard bounces and complaints), sorted, one per line.")
    Path suppressionList;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    private final BounceParser parser = BounceParser.defaults();

    /** Creates the command; picocli fills in its options. */
    public BouncesCommand() {
    }

    /** @return the exit status */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String command = spec.qualifiedName();
        for (Path input : inputs) {
            try {
                Mailboxes.check(input);
            } catch (IllegalArgumentException e) {
                ReportPrinter.printError(err, command, e.getMessage());
                return ExitCodes.USAGE;
            }
        }
        PrintWriter summaryOut = output == null ? err : out;
        Counts counts = new Counts();
        Map<String, String> suppress = new TreeMap<>(); // by SuppressionList.key
        String failure = null;
        try (Writer lines = output == null ? null : Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            Writer target = lines != null ? lines : out;
            for (Path input : inputs) {
                try {
                    Mailboxes.read(input, (int) Math.min(Integer.MAX_VALUE - 8, BounceParser.DEFAULT_MAX_MESSAGE_BYTES),
                            m -> {
                                BouncesJson.Line line = line(m, counts, suppress, err, command);
                                try {
                                    target.write(CliJson.line(line));
                                    target.write('\n');
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e); // the output, not the mailbox
                                }
                            });
                } catch (IOException e) {
                    failure = e.getMessage();
                    ReportPrinter.printError(err, command, failure);
                    break;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            failure = "--output: cannot write " + output + ": " + e.getMessage();
            ReportPrinter.printError(err, command, failure);
        }
        out.flush();
        int written = 0;
        if (suppressionList != null) {
            try {
                written = SuppressionList.write(suppressionList, suppress.values(), "reactive-smtp bounces: hard bounces (5.x.x) "
                        + "and complaints, from " + counts.messages + " message(s)"
                        + (failure == null ? "" : " (INCOMPLETE: " + failure + ")"));
            } catch (IOException e) {
                failure = "--suppression-list: cannot write " + suppressionList + ": " + e.getMessage();
                ReportPrinter.printError(err, command, failure);
            }
        } else {
            written = suppress.size();
        }
        int code = failure != null ? ExitCodes.FAILED : counts.unreadable > 0 ? ExitCodes.PARTIAL : ExitCodes.OK;
        if (json) {
            summaryOut.println(CliJson.document(new BouncesJson.Summary(inputs.size(), counts.messages, counts.dsn,
                    counts.feedback, counts.nonStandard, counts.notAReport, counts.uncertain, counts.unreadable,
                    written, output == null ? null : output.toString(),
                    suppressionList == null ? null : suppressionList.toString(), failure, code)));
        } else {
            summaryOut.println(command + ": " + counts.messages + " message(s) in " + inputs.size() + " mailbox(es): "
                    + counts.dsn + " delivery status, " + counts.feedback + " feedback, " + counts.nonStandard
                    + " non-standard bounce(s), " + counts.notAReport + " not a report, " + counts.unreadable
                    + " unreadable; " + counts.uncertain + " with uncertain addresses (not suppressed)");
            summaryOut.println(command + ": " + written + " address(es) to suppress"
                    + (suppressionList == null ? " (give --suppression-list FILE to write them)"
                    : " written to " + suppressionList));
        }
        summaryOut.flush();
        err.flush();
        return code;
    }

    private BouncesJson.Line line(Mailboxes.Message m, Counts counts, Map<String, String> suppress, PrintWriter err,
            String command) {
        counts.messages++;
        if (m.tooLarge()) {
            counts.unreadable++;
            String why = "the message is larger than " + BounceParser.DEFAULT_MAX_MESSAGE_BYTES + " bytes";
            ReportPrinter.printError(err, command, m.source() + ": not read: " + why);
            return BouncesJson.Line.failed(m.source(), BounceParseException.Reason.TOO_LARGE.name(), why);
        }
        BounceReport r;
        try {
            r = parser.parse(m.bytes());
        } catch (BounceParseException e) {
            counts.unreadable++;
            ReportPrinter.printError(err, command, m.source() + ": not read: " + ReportPrinter.oneLine(e.getMessage()));
            return BouncesJson.Line.failed(m.source(), e);
        }
        switch (r.kind()) {
            case DELIVERY_STATUS -> counts.dsn++;
            case FEEDBACK -> counts.feedback++;
            case NON_STANDARD_BOUNCE -> counts.nonStandard++;
            default -> counts.notAReport++;
        }
        if (r.kind() != BounceReport.Kind.NOT_A_REPORT && r.confidence() == BounceReport.Confidence.UNCERTAIN) {
            counts.uncertain++;
        }
        List<String> mine = new ArrayList<>();
        for (String a : r.suppressions()) {
            try {
                mine.add(MailAddress.of(a).toString());
            } catch (IllegalArgumentException e) {
                // A foreign address type (an X.400 gateway's): nothing bulk could send to.
            }
        }
        mine.forEach(a -> suppress.putIfAbsent(SuppressionList.key(a), a));
        return BouncesJson.Line.of(m.source(), r, mine);
    }

    /** What the run read, by kind. */
    private static final class Counts {
        long messages;
        long dsn;
        long feedback;
        long nonStandard;
        long notAReport;
        long uncertain;
        long unreadable;
    }
}
