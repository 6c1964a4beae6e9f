package io.reactivesmtp.cli;

import io.reactivesmtp.RecipientResult;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSONL report of {@code bulk --report FILE}: one JSON object per line and per message, written and
 * flushed as each message's result arrives, so that an interrupted run loses nothing it already reported.
 *
 * <pre>{@code
 * {"id": 12, "outcome": "PARTIAL", "recipients": [{"address": "a@example.com", "line": 12, "status": "ACCEPTED",
 *   "code": 250, "enhancedStatus": null, "text": "Ok"}, ...], "error": null}
 * }</pre>
 * (on one line). {@code id} is the line number of the message's first recipient; {@code outcome} is a
 * {@code MessageResult.Outcome} name; {@code status} a {@link RecipientResult.Status} name ({@code UNDETERMINED}
 * when no verdict came: then {@code code} is null and {@code text} says why); {@code error} is null or
 * {@code {"type": "...", "message": "..."}}.
 *
 * <p>{@link #skipSet} reads such a file back for {@code --retry-from}.
 */
final class BulkReport implements Closeable {

    /** One recipient object of a report line: its address and status, whatever follows. */
    private static final Pattern RECIPIENT = Pattern.compile(
            "\\{\"address\": (\"(?:[^\"\\\\]|\\\\.)*\"), \"line\": \\d+, \"status\": \"([A-Z_]+)\"");

    private final BufferedWriter writer;

    private BulkReport(BufferedWriter writer) {
        this.writer = writer;
    }

    /**
     * Opens the report for writing.
     *
     * @param file the file
     * @param append whether to append (the report of the run being retried) rather than truncate
     * @return the report
     * @throws IOException if it cannot be opened
     */
    static BulkReport open(Path file, boolean append) throws IOException {
        // A killed run may have left a torn last line: start on a line of our own, not at its end.
        boolean tornEnd = false;
        if (append && Files.isRegularFile(file) && Files.size(file) > 0) {
            try (java.nio.channels.SeekableByteChannel c = Files.newByteChannel(file)) {
                java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
                tornEnd = c.position(c.size() - 1).read(last) == 1 && last.get(0) != '\n';
            }
        }
        BulkReport report = new BulkReport(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING));
        if (tornEnd) {
            report.writer.newLine();
        }
        return report;
    }

    /**
     * A recipient's line of the report.
     *
     * @param address the address as sent
     * @param line its line in the recipients file
     * @param status a {@link RecipientResult.Status} name
     * @param code the reply code, 0 for none
     * @param enhancedStatus the enhanced status code, or null
     * @param text the reply text, or why there is no verdict
     */
    record Entry(String address, long line, String status, int code, String enhancedStatus, String text) {

        static Entry of(RecipientResult r, long line) {
            return new Entry(r.address().toString(), line, r.status().name(), r.code(),
                    r.enhancedStatus().orElse(null), r.text());
        }
    }

    /**
     * Writes one message's line and flushes it.
     *
     * @param id the message id (line of its first recipient)
     * @param outcome the outcome name
     * @param recipients the recipients and their results
     * @param error the failure without a verdict, or null
     * @throws IOException if the write fails
     */
    synchronized void write(long id, String outcome, List<Entry> recipients, Throwable error) throws IOException {
        writer.write(line(id, outcome, recipients, error));
        writer.newLine();
        writer.flush();
    }

    static String line(long id, String outcome, List<Entry> recipients, Throwable error) {
        StringBuilder b = new StringBuilder(128 + 96 * recipients.size());
        b.append("{\"id\": ").append(id).append(", \"outcome\": ").append(Json.quote(outcome))
                .append(", \"recipients\": [");
        for (int i = 0; i < recipients.size(); i++) {
            Entry r = recipients.get(i);
            b.append(i == 0 ? "" : ", ")
                    .append("{\"address\": ").append(Json.quote(r.address()))
                    .append(", \"line\": ").append(r.line())
                    .append(", \"status\": ").append(Json.quote(r.status()))
                    .append(", \"code\": ").append(r.code() == 0 ? "null" : Integer.toString(r.code()))
                    .append(", \"enhancedStatus\": ").append(Json.quote(r.enhancedStatus()))
                    .append(", \"text\": ").append(Json.quote(r.text()))
                    .append('}');
        }
        b.append("], \"error\": ");
        if (error == null) {
            b.append("null");
        } else {
            b.append("{\"type\": ").append(Json.quote(error.getClass().getSimpleName()))
                    .append(", \"message\": ").append(Json.quote(String.valueOf(error.getMessage()))).append('}');
        }
        return b.append('}').toString();
    }

    @Override
    public synchronized void close() throws IOException {
        writer.close();
    }

    /**
     * Reads a previous report and returns the recipients not to send to again: those whose last result there
     * was {@code ACCEPTED} or {@code PERMANENT_FAILURE}. A recipient whose last result was transient or
     * undetermined, or who is not in the report at all, is sent to. Lines that are not report lines (a line cut
     * short when a run was killed) are reported on {@code err} and ignored.
     *
     * @param file the previous report
     * @param err where to report unreadable lines
     * @param command the command name for those messages
     * @return the addresses (as {@code MailAddress.toString()}) to skip
     * @throws IOException if the file cannot be read
     */
    static Set<String> skipSet(Path file, PrintWriter err, String command) throws IOException {
        Map<String, Boolean> last = new HashMap<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = reader.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                Matcher m = RECIPIENT.matcher(line);
                boolean any = false;
                while (m.find()) {
                    any = true;
                    String status = m.group(2);
                    boolean done = status.equals(RecipientResult.Status.ACCEPTED.name())
                            || status.equals(RecipientResult.Status.PERMANENT_FAILURE.name());
                    last.put(Json.unquote(m.group(1)), done);
                }
                if (!any || !line.endsWith("}")) {
                    ReportPrinter.printError(err, command, "--retry-from " + ReportPrinter.oneLine(file.toString())
                            + ":" + n + ": not a complete report line, ignored");
                }
            }
        }
        Set<String> skip = new HashSet<>();
        last.forEach((address, done) -> {
            if (done) {
                skip.add(address);
            }
        });
        return skip;
    }
}
