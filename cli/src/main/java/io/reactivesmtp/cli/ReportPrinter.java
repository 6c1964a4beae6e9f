package io.reactivesmtp.cli;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;

/**
 * Prints what happened to one message, as text for people or as one JSON object for programs. Shared by the
 * subcommands that send ({@code demo}, later {@code send}).
 *
 * <p>The JSON object:
 * <pre>{@code
 * {
 *   "outcome": "PARTIAL",
 *   "server": "127.0.0.1:2525",
 *   "recipients": [
 *     {"address": "a@example.com", "accepted": true, "status": "ACCEPTED", "code": 250, "enhancedStatus": null, "text": "Ok"}
 *   ],
 *   "error": null
 * }
 * }</pre>
 * {@code outcome} is a {@link SendReport.Outcome} name, or {@code FAILED} when no verdict could be had; then
 * {@code error} is {@code {"type": "SmtpConnectionException", "message": "..."}} and {@code recipients}
 * holds what the server had said before the failure, if anything.
 */
public final class ReportPrinter {

    /** The outcome printed when no verdict could be had. */
    public static final String FAILED = "FAILED";

    private ReportPrinter() {
    }

    /**
     * The result of one attempt to send: either a report or the error that prevented a verdict.
     *
     * @param server where the message went, as {@code host:port}
     * @param report the report, or null when {@code error} is set
     * @param error the failure, or null when {@code report} is set
     */
    public record Result(String server, SendReport report, Throwable error) {

        /**
         * The recipients to show: the report's, or those of the exception's partial report.
         *
         * @return the recipient results, possibly empty
         */
        public List<RecipientResult> recipients() {
            if (report != null) {
                return report.recipients();
            }
            if (error instanceof SmtpException e) {
                return e.partialReport().map(SendReport::recipients).orElse(List.of());
            }
            return List.of();
        }

        /**
         * @return the outcome name, or {@value ReportPrinter#FAILED}
         */
        public String outcome() {
            return report != null ? report.outcome().name() : FAILED;
        }

        /**
         * @return the exit status: 0, 3 or 4 (see {@link ExitCodes})
         */
        public int exitCode() {
            return report != null ? ExitCodes.of(report) : ExitCodes.FAILED;
        }
    }

    /**
     * Prints the outcome and one line per recipient: address, status, code, enhanced status and text.
     *
     * @param out where to print
     * @param result what happened
     */
    public static void printText(PrintWriter out, Result result) {
        List<RecipientResult> recipients = result.recipients();
        if (result.report() != null) {
            SendReport report = result.report();
            long accepted = recipients.stream().filter(RecipientResult::isAccepted).count();
            out.printf("outcome:  %s (%d of %d recipients accepted) in %d ms%n", report.outcome(), accepted,
                    recipients.size(), report.duration().toMillis());
        } else {
            Throwable e = result.error();
            out.printf("outcome:  %s, no verdict from the server%n", FAILED);
            out.printf("error:    %s: %s%n", e.getClass().getSimpleName(), oneLine(e.getMessage()));
            if (e instanceof SmtpException se) {
                out.printf("          retrying %s%n", se.isRetryable() ? "may help" : "will not help by itself");
            }
        }
        if (recipients.isEmpty()) {
            return;
        }
        int width = recipients.stream().mapToInt(r -> r.address().toString().length()).max().orElse(0);
        int statusWidth = RecipientResult.Status.TRANSIENT_FAILURE.name().length();
        out.println();
        for (RecipientResult r : recipients) {
            out.printf("  %-" + width + "s  %-" + statusWidth + "s  %3s  %-7s %s%n",
                    oneLine(r.address().toString()), r.status(), r.code() == 0 ? "-" : Integer.toString(r.code()),
                    r.enhancedStatus().orElse("-"), oneLine(r.text()));
        }
    }

    /**
     * Prints one JSON object (see the class comment), followed by a line break.
     *
     * @param out where to print
     * @param result what happened
     */
    public static void printJson(PrintWriter out, Result result) {
        StringBuilder b = new StringBuilder();
        b.append("{\n");
        b.append("  \"outcome\": ").append(Json.quote(result.outcome())).append(",\n");
        b.append("  \"server\": ").append(Json.quote(result.server())).append(",\n");
        b.append("  \"recipients\": [");
        List<RecipientResult> recipients = result.recipients();
        for (int i = 0; i < recipients.size(); i++) {
            RecipientResult r = recipients.get(i);
            b.append(i == 0 ? "\n" : ",\n");
            b.append("    {\"address\": ").append(Json.quote(r.address().toString()))
                    .append(", \"accepted\": ").append(r.isAccepted())
                    .append(", \"status\": ").append(Json.quote(r.status().name()))
                    .append(", \"code\": ").append(r.code() == 0 ? "null" : Integer.toString(r.code()))
                    .append(", \"enhancedStatus\": ").append(Json.quote(r.enhancedStatus().orElse(null)))
                    .append(", \"text\": ").append(Json.quote(r.text()))
                    .append('}');
        }
        b.append(recipients.isEmpty() ? "],\n" : "\n  ],\n");
        b.append("  \"error\": ");
        Throwable e = result.error();
        if (e == null) {
            b.append("null");
        } else {
            b.append("{\"type\": ").append(Json.quote(e.getClass().getSimpleName()))
                    .append(", \"message\": ").append(Json.quote(Optional.ofNullable(e.getMessage()).orElse("")));
            if (e instanceof SmtpException se) {
                b.append(", \"retryable\": ").append(se.isRetryable());
            }
            b.append('}');
        }
        b.append("\n}");
        out.println(b);
    }

    /** Control characters from a server or an exception shown escaped, so that every entry stays on its line. */
    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                b.append("\\r");
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
