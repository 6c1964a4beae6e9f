package io.reactivesmtp.reactor;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What became of one {@link OutgoingMessage} in {@link SmtpClient#sendAll}: the server's report, or the
 * exception when no verdict could be had. A failed message never ends the stream of results.
 */
public final class MessageResult {

    /** The outcome of one message, as scripts and reports want it. */
    public enum Outcome {
        /** Every recipient accepted. */
        DELIVERED,
        /** Some recipients accepted. */
        PARTIAL,
        /** No recipient accepted: every one refused by the server. */
        REJECTED,
        /**
         * No verdict from a server: the send failed (connection, a 421 greeting, TLS, timeout, ...) before the final
         * dot, or the recipients' domain accepts no mail. Nothing was delivered.
         */
        FAILED,
        /** The message was sent but its final reply never came: it may or may not have been accepted. */
        UNKNOWN
    }

    private final OutgoingMessage message;
    private final SendReport report;
    private final SmtpException error;

    private MessageResult(OutgoingMessage message, SendReport report, SmtpException error) {
        this.message = Objects.requireNonNull(message, "message");
        this.report = report;
        this.error = error;
    }

    /**
     * @param message the message
     * @param report its report
     * @return a result with a verdict
     */
    public static MessageResult of(OutgoingMessage message, SendReport report) {
        return new MessageResult(message, Objects.requireNonNull(report, "report"), null);
    }

    /**
     * @param message the message
     * @param error why no verdict could be had
     * @return a result without a verdict
     */
    public static MessageResult failed(OutgoingMessage message, SmtpException error) {
        return new MessageResult(message, null, Objects.requireNonNull(error, "error"));
    }

    /** @return the message this result belongs to */
    public OutgoingMessage message() {
        return message;
    }

    /** @return the caller's identifier of the message */
    public Object id() {
        return message.id();
    }

    /** @return the report, when the server gave a verdict */
    public Optional<SendReport> report() {
        return Optional.ofNullable(report);
    }

    /** @return the failure, when no verdict could be had */
    public Optional<SmtpException> error() {
        return Optional.ofNullable(error);
    }

    /**
     * One result per recipient of the message, in envelope order, whether or not a verdict came: the report's, or
     * for a failed message the verdicts of its partial report (such as a 550 at RCPT before the connection broke)
     * and, for the recipients without one, what the failure means for them:
     * <ul>
     * <li>{@link RecipientResult.Status#UNKNOWN_AFTER_DATA}: the data went out to them and its reply never came;
     *     they may have the message.</li>
     * <li>{@link RecipientResult.Status#PERMANENT_FAILURE} when the failure is
     *     {@linkplain SmtpException#isPermanent() permanent} (their domain accepts no mail).</li>
     * <li>{@link RecipientResult.Status#TRANSIENT_FAILURE} otherwise: the failure came before the final dot (a
     *     connect error, a 421 greeting, a connection cut), so nothing was delivered and sending again is safe.</li>
     * </ul>
     * Results made for a failure have no reply ({@link RecipientResult#code()} 0); the failure says why.
     *
     * @return the recipients' results
     */
    public List<RecipientResult> recipients() {
        if (report != null) {
            return report.recipients();
        }
        Map<MailAddress, RecipientResult> partial = new HashMap<>();
        error.partialReport().ifPresent(p -> p.recipients().forEach(r -> partial.put(r.address(), r)));
        boolean unknown = error instanceof SmtpUnknownOutcomeException;
        List<RecipientResult> out = new ArrayList<>();
        for (MailAddress a : message.envelope().recipients()) {
            RecipientResult r = partial.get(a);
            if (r != null && r.status() != RecipientResult.Status.UNDETERMINED) {
                out.add(r);
                continue;
            }
            SmtpReply rcpt = r == null ? null : r.rcptReply().orElse(null);
            RecipientResult.Status status = unknown && rcpt != null && rcpt.isPositive()
                    ? RecipientResult.Status.UNKNOWN_AFTER_DATA
                    : error.isPermanent() ? RecipientResult.Status.PERMANENT_FAILURE
                    : RecipientResult.Status.TRANSIENT_FAILURE;
            out.add(RecipientResult.withoutReply(a, status, rcpt));
        }
        return out;
    }

    /** @return the outcome */
    public Outcome outcome() {
        if (report != null) {
            switch (report.outcome()) {
                case DELIVERED:
                    return Outcome.DELIVERED;
                case PARTIAL:
                    return Outcome.PARTIAL;
                case REJECTED:
                    return Outcome.REJECTED;
                default:
                    return Outcome.UNKNOWN;
            }
        }
        return error instanceof SmtpUnknownOutcomeException ? Outcome.UNKNOWN : Outcome.FAILED;
    }

    @Override
    public String toString() {
        return "MessageResult{" + message.id() + ", " + outcome() + (report != null ? ", " + report : ", " + error) + "}";
    }
}
