package io.reactivesmtp.reactor;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
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
        /** No verdict: the send failed (connection, TLS, timeout, ...) before the final dot. */
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
        return error instanceof io.reactivesmtp.SmtpUnknownOutcomeException ? Outcome.UNKNOWN : Outcome.FAILED;
    }

    @Override
    public String toString() {
        return "MessageResult{" + message.id() + ", " + outcome() + (report != null ? ", " + report : ", " + error) + "}";
    }
}
