package io.reactivesmtp.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The summary {@code bulk} prints at the end: as text, or with {@code --json} as one JSON object
 * ({@link Document}).
 *
 * @param command the command's name, e.g. {@code bulk}
 * @param stats the run's counters
 * @param elapsedNanos how long the run took
 * @param server where the mail went, as the first line said it
 * @param embedded whether that was the in-process server
 * @param interrupted whether Ctrl-C stopped the run
 * @param abandoned whether messages were given up on in flight
 * @param retryFrom the {@code --retry-from} report, or null
 * @param suppress the {@code --suppress} list, or null
 * @param report the {@code --report} file, or null
 * @param reportFailed whether the report could not be written in full
 * @param error what ended the run early (a read error, a failure), or null
 * @param exitStatus the exit status
 */
record BulkSummary(String command, BulkStats stats, long elapsedNanos, String server, boolean embedded,
        boolean interrupted, boolean abandoned, Path retryFrom, Path suppress, Path report, boolean reportFailed,
        Throwable error,
        int exitStatus) {

    BulkSummary {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(server, "server");
    }

    /** Messages by outcome. */
    @JsonPropertyOrder({"sent", "delivered", "partial", "rejected", "failed", "unknown", "abandoned"})
    record Messages(long sent, long delivered, long partial, long rejected, long failed, long unknown,
            long abandoned) {
    }

    /** Recipients by verdict. */
    @JsonPropertyOrder({"total", "accepted", "rejected", "transient", "unknown"})
    record Recipients(long total, long accepted, long rejected,
            @JsonProperty("transient") long transientFailures, long unknown) {
    }

    /** The {@code --json} object. */
    @JsonPropertyOrder({"server", "embeddedServer", "interrupted", "elapsedMillis", "messages", "recipients",
        "linesRead", "badLines", "skipped", "suppressed", "skippedUnknown", "replyCodes", "errors", "messagesPerSecond", "recipientsPerSecond",
        "connections", "report", "reportComplete", "error", "exitStatus"})
    record Document(String server, boolean embeddedServer, boolean interrupted, long elapsedMillis, Messages messages,
            Recipients recipients, long linesRead, long badLines, long skipped, long suppressed, long skippedUnknown,
            Map<String, Long> replyCodes,
            List<BulkStats.ErrorCount> errors, double messagesPerSecond, double recipientsPerSecond,
            long connections, String report, boolean reportComplete, String error, int exitStatus) {
    }

    /** @return the {@code --json} object */
    Document json() {
        long msgs = stats.completed.get();
        long rcpts = stats.recipients();
        return new Document(server, embedded, interrupted, elapsedNanos / 1_000_000,
                new Messages(msgs, stats.delivered.sum(), stats.partial.sum(), stats.rejected.sum(),
                        stats.failed.sum(), stats.unknown.sum(), stats.abandoned()),
                new Recipients(rcpts, stats.rcptAccepted.sum(), stats.rcptRefused.sum(), stats.rcptTransient.sum(),
                        stats.rcptUnknown.sum()),
                stats.linesRead.get(), stats.badLines.get(), stats.skipped.get(), stats.suppressed.get(), stats.skippedUnknown.get(),
                stats.replyCodeCounts(),
                stats.topErrorCounts(3), oneDecimal(BulkStats.perSecond(msgs, elapsedNanos)),
                oneDecimal(BulkStats.perSecond(rcpts, elapsedNanos)), stats.connections.get(),
                report == null ? null : report.toString(), report != null && !reportFailed,
                error == null ? null : String.valueOf(error.getMessage()), exitStatus);
    }

    /**
     * The {@code --json} object as {@code CliJson.document(d)} writes it, written field by field without
     * jackson-databind (see {@link JsonLines}: in a fresh JVM, databind's first use costs about half a second).
     */
    static String jsonText(Document d) {
        return JsonLines.document(g -> {
            g.writeStartObject();
            g.writeStringField("server", d.server());
            g.writeBooleanField("embeddedServer", d.embeddedServer());
            g.writeBooleanField("interrupted", d.interrupted());
            g.writeNumberField("elapsedMillis", d.elapsedMillis());
            Messages m = d.messages();
            g.writeObjectFieldStart("messages");
            g.writeNumberField("sent", m.sent());
            g.writeNumberField("delivered", m.delivered());
            g.writeNumberField("partial", m.partial());
            g.writeNumberField("rejected", m.rejected());
            g.writeNumberField("failed", m.failed());
            g.writeNumberField("unknown", m.unknown());
            g.writeNumberField("abandoned", m.abandoned());
            g.writeEndObject();
            Recipients r = d.recipients();
            g.writeObjectFieldStart("recipients");
            g.writeNumberField("total", r.total());
            g.writeNumberField("accepted", r.accepted());
            g.writeNumberField("rejected", r.rejected());
            g.writeNumberField("transient", r.transientFailures());
            g.writeNumberField("unknown", r.unknown());
            g.writeEndObject();
            g.writeNumberField("linesRead", d.linesRead());
            g.writeNumberField("badLines", d.badLines());
            g.writeNumberField("skipped", d.skipped());
            g.writeNumberField("suppressed", d.suppressed());
            g.writeNumberField("skippedUnknown", d.skippedUnknown());
            g.writeObjectFieldStart("replyCodes");
            for (Map.Entry<String, Long> e : d.replyCodes().entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("errors");
            for (BulkStats.ErrorCount e : d.errors()) {
                g.writeStartObject();
                g.writeStringField("error", e.error());
                g.writeNumberField("count", e.count());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("messagesPerSecond", d.messagesPerSecond());
            g.writeNumberField("recipientsPerSecond", d.recipientsPerSecond());
            g.writeNumberField("connections", d.connections());
            g.writeStringField("report", d.report());
            g.writeBooleanField("reportComplete", d.reportComplete());
            g.writeStringField("error", d.error());
            g.writeNumberField("exitStatus", d.exitStatus());
            g.writeEndObject();
        });
    }

    static double oneDecimal(double x) {
        return Math.round(x * 10) / 10.0;
    }

    /**
     * Prints the summary.
     *
     * @param out where to
     * @param asJson whether as the {@code --json} object rather than text
     */
    void print(PrintWriter out, boolean asJson) {
        if (asJson) {
            out.println(jsonText(json()));
            return;
        }
        long msgs = stats.completed.get();
        long rcpts = stats.recipients();
        out.println();
        out.println(command + ": " + (interrupted ? "interrupted" : "done") + " in "
                + BulkStats.duration(elapsedNanos));
        out.println("server:       " + server);
        out.println("recipients:   " + stats.linesRead.get() + " line(s) read, " + stats.badLines.get()
                + " bad line(s) skipped"
                + (retryFrom != null ? ", " + stats.skipped.get() + " skipped (done in " + retryFrom + ")" : "")
                + (stats.skippedUnknown.get() > 0 ? ", of which " + stats.skippedUnknown.get()
                        + " with an unknown outcome (--retry-unknown sends to them again)" : "")
                + (suppress != null ? ", " + stats.suppressed.get() + " suppressed (in " + suppress + ")" : ""));
        out.printf(Locale.ROOT, "messages:     %d sent: %d delivered, %d partial, %d rejected, %d failed, "
                        + "%d unknown%s%n", msgs, stats.delivered.sum(), stats.partial.sum(), stats.rejected.sum(),
                stats.failed.sum(), stats.unknown.sum(),
                abandoned ? ", " + stats.abandoned() + " abandoned in flight (no result; the server may have them)"
                        : "");
        out.printf(Locale.ROOT, "recipients:   %d: %d accepted, %d rejected (5xx), %d transient (4xx), "
                        + "%d unknown (sent, no reply: not retried without --retry-unknown)%n", rcpts, stats.rcptAccepted.sum(), stats.rcptRefused.sum(),
                stats.rcptTransient.sum(), stats.rcptUnknown.sum());
        out.println("reply codes:  " + stats.replyCodesText());
        out.println("errors:       " + stats.topErrorsText(3));
        out.printf(Locale.ROOT, "throughput:   %.1f messages/s, %.1f recipients/s%n",
                BulkStats.perSecond(msgs, elapsedNanos), BulkStats.perSecond(rcpts, elapsedNanos));
        out.println("connections:  " + stats.connections.get());
        if (report != null) {
            out.println("report:       " + report + (reportFailed ? " (INCOMPLETE: it could not be written)" : ""));
        }
        out.println("exit status " + exitStatus + switch (exitStatus) {
            case ExitCodes.OK -> ": every recipient accepted";
            case ExitCodes.PARTIAL -> ": some recipients accepted"
                    + (stats.rcptTransient.sum() + stats.rcptUnknown.sum() > 0 || interrupted
                    ? (report != null ? "; rerun with --retry-from " + report + " for the rest"
                    : "; use --report FILE, then --retry-from FILE, to retry the rest") : "");
            default -> ": no recipient accepted";
        });
    }
}
