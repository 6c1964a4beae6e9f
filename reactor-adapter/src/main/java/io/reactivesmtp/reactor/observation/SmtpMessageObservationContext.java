package io.reactivesmtp.reactor.observation;

import io.micrometer.observation.Observation;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.reactor.OutgoingMessage;
import java.util.Objects;
import java.util.Optional;

/**
 * What a message observation knows: the message and destination from the start, the report or the error
 * ({@link #getError()}) at the end.
 */
public final class SmtpMessageObservationContext extends Observation.Context {

    private final OutgoingMessage message;
    private final String destination;
    private volatile SendReport report;
    private volatile boolean cancelled;

    /**
     * @param message the message
     * @param destination the first relay's {@code host:port}, or {@code mx}
     */
    public SmtpMessageObservationContext(OutgoingMessage message, String destination) {
        this.message = Objects.requireNonNull(message, "message");
        this.destination = Objects.requireNonNull(destination, "destination");
    }

    /** @return the message */
    public OutgoingMessage message() {
        return message;
    }

    /** @return the first relay's {@code host:port}, or {@code mx} */
    public String destination() {
        return destination;
    }

    /** @return the report, once the message got a verdict */
    public Optional<SendReport> report() {
        return Optional.ofNullable(report);
    }

    /** @return true when the subscriber cancelled the send */
    public boolean isCancelled() {
        return cancelled;
    }

    void report(SendReport report) {
        this.report = report;
    }

    void cancelled() {
        this.cancelled = true;
    }
}
