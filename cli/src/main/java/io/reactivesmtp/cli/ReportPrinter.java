package io.reactivesmtp.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.internal.SafeText;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Prints what happened to one message, as text for people or as one JSON object for programs. Shared by the
 * subcommands that send ({@code demo}, {@code send}).
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
 * {@code outcome} is a {@link SendReport.Outcome} name, {@code UNKNOWN} when the message went out but the
 * verdict on it never came ({@link SmtpUnknownOutcomeException}), or {@code FAILED} when no verdict could be
 * had; then {@code error} is {@code {"type": "SmtpConnectionException", "message": "..."}} and
 * {@code recipients} holds what the server had said before the failure, if anything.
 *
 * <p>With {@link #printJson(PrintWriter, Result, boolean) printJson(out, result, true)} the object also has
 * {@code "tls"}: {@code null} when the session ran in plaintext (or failed before TLS), else
 * {@code {"protocol": "TLSv1.3", "cipherSuite": "...", "provider": "JDK", "peer": "CN=..."}}, and with
 * {@code --mx} {@code "tlsLevels"}: per recipient domain {@code {"domain", "level": "may", "source": "NONE",
 * "host", "encrypted", "authenticated", "plaintextAfterFailedHandshake", "mxDnssecValidated"}}.
 */
public final class ReportPrinter {

    /** The outcome printed when no verdict could be had. */
    public static final String FAILED = "FAILED";
    /** The outcome printed when the message was sent but its verdict never came. */
    public static final String UNKNOWN = SendReport.Outcome.UNKNOWN.name();

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
         * @return the outcome name; {@code UNKNOWN} for an {@link SmtpUnknownOutcomeException}, else
         *     {@value ReportPrinter#FAILED} when there is no report
         */
        public String outcome() {
            if (report != null) {
                return report.outcome().name();
            }
            return error instanceof SmtpUnknownOutcomeException ? UNKNOWN : FAILED;
        }

        /**
         * What TLS protected the session: from the report, or from the exception's partial report.
         *
         * @return the TLS details, empty for a plaintext session or one that failed before TLS
         */
        public Optional<TlsInfo> tls() {
            if (report != null) {
                return report.tls();
            }
            if (error instanceof SmtpException e) {
                return e.partialReport().flatMap(SendReport::tls);
            }
            return Optional.empty();
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
            if (UNKNOWN.equals(result.outcome())) {
                out.printf("outcome:  %s, the message was sent but the server's verdict never came%n", UNKNOWN);
            } else {
                out.printf("outcome:  %s, no verdict from the server%n", FAILED);
            }
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
        printJson(out, result, false);
    }

    /**
     * Prints one JSON object (see the class comment), followed by a line break.
     *
     * @param out where to print
     * @param result what happened
     * @param withTls whether to add the {@code "tls"} member (null or the protocol, cipher suite, provider and
     *     peer of the session)
     */
    public static void printJson(PrintWriter out, Result result, boolean withTls) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("outcome", result.outcome());
        o.put("server", result.server());
        o.put("recipients", result.recipients().stream().map(r -> new RecipientJson(r.address().toString(),
                r.isAccepted(), r.status().name(), r.code() == 0 ? null : r.code(), r.enhancedStatus().orElse(null),
                r.text())).toList());
        if (withTls) {
            o.put("tls", result.tls().map(t -> new TlsJson(t.protocol(), t.cipherSuite(), t.provider(),
                    t.peerPrincipal().orElse(null))).orElse(null));
            if (result.report() != null && !result.report().mxTls().isEmpty()) {
                o.put("tlsLevels", result.report().mxTls().values().stream().map(m -> TlsLevelJson.of(m, true))
                        .toList());
            }
        }
        o.put("error", error(result.error()));
        out.println(CliJson.document(o));
    }

    /** A recipient in the {@code --json} output; {@code code} is null when no reply decided it. */
    @JsonPropertyOrder({"address", "accepted", "status", "code", "enhancedStatus", "text"})
    record RecipientJson(String address, boolean accepted, String status, Integer code, String enhancedStatus,
            String text) {
    }

    /** The TLS session in the {@code --json} output. */
    @JsonPropertyOrder({"protocol", "cipherSuite", "provider", "peer"})
    record TlsJson(String protocol, String cipherSuite, String provider, String peer) {
    }

    /**
     * With --mx: the TLS level a recipient domain's delivery reached, what set it, and whether the MX answer was
     * DNSSEC-validated; {@code domain} left out where the recipient names it (bulk's report).
     */
    @JsonPropertyOrder({"domain", "level", "source", "host", "encrypted", "authenticated",
        "plaintextAfterFailedHandshake", "mxDnssecValidated"})
    record TlsLevelJson(@JsonInclude(JsonInclude.Include.NON_NULL) String domain, String level, String source,
            String host, boolean encrypted, boolean authenticated, boolean plaintextAfterFailedHandshake,
            boolean mxDnssecValidated) {

        static TlsLevelJson of(MxTlsStatus m, boolean withDomain) {
            return new TlsLevelJson(withDomain ? m.domain() : null, m.level().displayName(), m.source().name(),
                    m.host(), m.encrypted(), m.authenticated(), m.plaintextAfterFailedHandshake(),
                    m.mxDnssecValidated());
        }
    }

    /** A failure in the {@code --json} output; {@code retryable} only for SMTP failures. */
    @JsonPropertyOrder({"type", "message", "retryable"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ErrorJson(String type, String message, Boolean retryable) {
    }

    /**
     * Prints the TLS line of a text report: protocol, cipher suite, provider and server certificate subject,
     * or that the session ran without TLS. Prints nothing when the session failed before a report existed.
     *
     * @param out where to print
     * @param result what happened
     */
    public static void printTls(PrintWriter out, Result result) {
        Optional<TlsInfo> tls = result.tls();
        if (tls.isPresent()) {
            TlsInfo t = tls.get();
            out.printf("tls:      %s %s (%s)%s%n", t.protocol(), t.cipherSuite(), t.provider(),
                    t.peerPrincipal().map(p -> ", server certificate " + oneLine(p)).orElse(""));
        } else if (result.report() != null) {
            out.println("tls:      none (plaintext)");
        }
        if (result.report() != null) {
            for (MxTlsStatus m : result.report().mxTls().values()) {
                out.println("tls level: " + oneLine(m.toString()));
            }
        }
    }

    /**
     * Prints one error line, {@code "reactive-smtp send: message"}, with control characters escaped so that
     * it stays one line.
     *
     * @param err where to print (standard error)
     * @param command the command's qualified name, such as {@code "reactive-smtp send"}
     * @param message what went wrong
     */
    public static void printError(PrintWriter err, String command, String message) {
        err.println(command + ": " + oneLine(message));
        err.flush();
    }

    /** Text from a server or an exception, by the one escaping rule (SafeText.line): every entry stays on its line. */
    static String oneLine(String s) {
        return SafeText.line(s);
    }

    private static ErrorJson error(Throwable e) {
        return e == null ? null : new ErrorJson(e.getClass().getSimpleName(),
                Optional.ofNullable(e.getMessage()).orElse(""),
                e instanceof SmtpException se ? se.isRetryable() : null);
    }
}
