package io.reactivesmtp.reactor.observation;

import io.micrometer.observation.Observation;
import java.util.Objects;

/** What a connection observation knows: the server, and at the end whether the session got ready or why not. */
public final class SmtpConnectionObservationContext extends Observation.Context {

    private final String destination;
    private volatile boolean ready;
    private volatile boolean cancelled;

    /** @param destination the server, {@code host:port} */
    public SmtpConnectionObservationContext(String destination) {
        this.destination = Objects.requireNonNull(destination, "destination");
    }

    /** @return the server, {@code host:port} */
    public String destination() {
        return destination;
    }

    /** @return true once the session is ready for mail */
    public boolean isReady() {
        return ready;
    }

    /** @return true when the connect was cancelled (its send was) */
    public boolean isCancelled() {
        return cancelled;
    }

    void ready() {
        this.ready = true;
    }

    void cancelled() {
        this.cancelled = true;
    }
}
