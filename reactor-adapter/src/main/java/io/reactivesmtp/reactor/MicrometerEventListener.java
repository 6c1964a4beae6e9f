package io.reactivesmtp.reactor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import io.reactivesmtp.TlsInfo;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link SmtpEventListener} that records Micrometer meters. Micrometer is an optional dependency of this
 * module: only this class needs it on the class path.
 *
 * <pre>{@code
 * MeterRegistry registry = new SimpleMeterRegistry();
 * SmtpEventListener metrics = MicrometerEventListener.builder(registry)
 *     .commonTags(Tags.of("app", "newsletter"))
 *     .build();
 * }</pre>
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>tags besides {@code destination}</th><th>recorded on</th></tr>
 * <tr><td>{@code smtp.messages}</td><td>counter</td><td>{@code outcome}: delivered, partial, rejected, failed,
 *     unknown</td><td>each transaction's end or failure</td></tr>
 * <tr><td>{@code smtp.recipients}</td><td>counter</td><td>{@code status}: accepted, transient_failure,
 *     permanent_failure, undetermined</td><td>each recipient of a report (or of a failure's partial report)</td></tr>
 * <tr><td>{@code smtp.replies}</td><td>counter</td><td>{@code code}: the recipient's deciding reply code, or
 *     {@code none}</td><td>same as {@code smtp.recipients}</td></tr>
 * <tr><td>{@code smtp.connections.failed}</td><td>counter</td><td>{@code exception}: the exception's simple class
 *     name</td><td>a failed connect</td></tr>
 * <tr><td>{@code smtp.connect}</td><td>timer</td><td></td><td>connect start to session ready</td></tr>
 * <tr><td>{@code smtp.tls}</td><td>timer</td><td>{@code protocol}: e.g. TLSv1.3</td><td>each TLS handshake</td></tr>
 * <tr><td>{@code smtp.transaction}</td><td>timer</td><td></td><td>each report's {@link SendReport#duration()}</td></tr>
 * <tr><td>{@code smtp.sessions.open}</td><td>gauge</td><td></td><td>+1 on session ready, -1 on session closed</td></tr>
 * <tr><td>{@code smtp.pacing.changes}</td><td>counter</td><td>{@code kind}: concurrency, rate; {@code direction}:
 *     increase, decrease</td><td>each adaptive pacing change ({@link Pacing}; the destination tag is the site)</td></tr>
 * <tr><td>{@code smtp.pacing.limit}</td><td>gauge</td><td></td><td>the site's pacing concurrency limit</td></tr>
 * <tr><td>{@code smtp.pacing.rate}</td><td>gauge</td><td></td><td>the site's pacing rate per second, 0 for
 *     none</td></tr>
 * </table>
 *
 * <h2>Tag cardinality</h2>
 * Reply codes (200 to 599), statuses, outcomes, TLS protocols and exception classes are small finite sets. The
 * {@code destination} tag is the destination key ({@code host:port}); a relay client has a handful, but direct
 * (MX) delivery has one per receiving domain's server, which can run into thousands of time series, each kept
 * for the life of the registry (a per-destination {@code smtp.sessions.open} gauge stays registered at 0).
 * Turn it off with {@link Builder#destinationTag(boolean) destinationTag(false)}, or bound it with a Micrometer
 * {@code MeterFilter} such as {@code MeterFilter.maximumAllowableTags}.
 *
 * <p>Pool gauges (acquired, idle, pending) are not recorded here: the listener does not see the pool. Use the
 * metrics of the pool implementation (reactor-netty's {@code ConnectionProvider} or reactor-pool) for them.
 *
 * <p>Every method is non-blocking and safe to call from any thread, as {@link SmtpEventListener} requires.
 */
public final class MicrometerEventListener implements SmtpEventListener {

    private final MeterRegistry registry;
    private final Tags commonTags;
    private final boolean destinationTag;
    /** Strong references to the gauges' values: Micrometer holds gauge state objects only weakly. */
    private final Map<String, AtomicInteger> openSessions = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> pacingLimits = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> pacingRates = new ConcurrentHashMap<>();

    /**
     * A listener with no common tags and the {@code destination} tag on.
     *
     * @param registry where the meters go
     */
    public MicrometerEventListener(MeterRegistry registry) {
        this(builder(registry));
    }

    /**
     * A listener with common tags and the {@code destination} tag on.
     *
     * @param registry where the meters go
     * @param commonTags tags added to every meter (e.g. the application's name)
     * @throws IllegalArgumentException if a common tag is named {@code destination}
     */
    public MicrometerEventListener(MeterRegistry registry, Iterable<Tag> commonTags) {
        this(builder(registry).commonTags(commonTags));
    }

    private MicrometerEventListener(Builder b) {
        // Checked here rather than in build() alone, so the public constructors get the same checks.
        this.registry = Objects.requireNonNull(b.registry, "registry");
        this.commonTags = Tags.of(Objects.requireNonNull(b.commonTags, "commonTags"));
        this.destinationTag = b.destinationTag;
        if (destinationTag && commonTags.stream().anyMatch(t -> t.getKey().equals("destination"))) {
            // Tags.and would silently let the per-event value win; a clash is a configuration mistake.
            throw new IllegalArgumentException("common tag 'destination' clashes with the destination tag");
        }
    }

    /**
     * @param registry where the meters go
     * @return a builder; without further settings it builds the same listener as the one-argument constructor
     */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    @Override
    public void sessionReady(String destination, SmtpSession session, Duration elapsed) {
        Timer.builder("smtp.connect")
                .description("Time from opening a connection to a session ready to send (greeting, EHLO, TLS, AUTH)")
                .tags(tags(destination))
                .register(registry)
                .record(elapsed);
        sessions(destination).incrementAndGet();
    }

    @Override
    public void tlsEstablished(String destination, TlsInfo tls, Duration elapsed) {
        Timer.builder("smtp.tls")
                .description("TLS handshake time")
                .tags(tags(destination).and("protocol", tls.protocol()))
                .register(registry)
                .record(elapsed);
    }

    @Override
    public void connectFailed(String destination, SmtpException error, Duration elapsed) {
        Counter.builder("smtp.connections.failed")
                .description("Connections that failed before their session was ready")
                .tags(tags(destination).and("exception", error.getClass().getSimpleName()))
                .register(registry)
                .increment();
    }

    @Override
    public void sessionClosed(String destination, SocketAddress remote, long messages) {
        // Never below zero: a close without a matching ready (a client that reports sessions it discarded before
        // they were ready) must not leave the gauge negative for the life of the registry.
        sessions(destination).updateAndGet(n -> n > 0 ? n - 1 : 0);
    }

    @Override
    public void transactionEnd(String destination, SendReport report) {
        message(destination, report.outcome().name());
        recipients(destination, report);
        Timer.builder("smtp.transaction")
                .description("Time of a transaction, from MAIL FROM to the reply to its data")
                .tags(tags(destination))
                .register(registry)
                .record(report.duration());
    }

    @Override
    public void transactionFailed(String destination, SmtpException error) {
        message(destination, error instanceof SmtpUnknownOutcomeException
                ? MessageResult.Outcome.UNKNOWN.name() : MessageResult.Outcome.FAILED.name());
        // The partial report holds the RCPT verdicts collected before the failure; counting them keeps
        // smtp.recipients complete (refusals at RCPT do not vanish because the connection broke later).
        error.partialReport().ifPresent(partial -> recipients(destination, partial));
    }

    private void message(String destination, String outcome) {
        Counter.builder("smtp.messages")
                .description("SMTP transactions by outcome")
                .tags(tags(destination).and("outcome", outcome.toLowerCase(Locale.ROOT)))
                .register(registry)
                .increment();
    }

    private void recipients(String destination, SendReport report) {
        Tags base = tags(destination);
        for (RecipientResult r : report.recipients()) {
            Counter.builder("smtp.recipients")
                    .description("Recipients by the fate the server gave them")
                    .tags(base.and("status", r.status().name().toLowerCase(Locale.ROOT)))
                    .register(registry)
                    .increment();
            Counter.builder("smtp.replies")
                    .description("Deciding reply codes of recipients")
                    .tags(base.and("code", r.code() == 0 ? "none" : Integer.toString(r.code())))
                    .register(registry)
                    .increment();
        }
    }

    @Override
    public void pacingChanged(String site, int previousLimit, int newLimit, String reason) {
        pacingChange(site, "concurrency", newLimit > previousLimit);
        pacingGauge(pacingLimits, "smtp.pacing.limit", "The adaptive pacing limit of a site: transactions at once",
                site).set(newLimit);
    }

    @Override
    public void pacingRateChanged(String site, double previousPerSecond, double newPerSecond, String reason) {
        pacingChange(site, "rate", newPerSecond == 0 || previousPerSecond != 0 && newPerSecond > previousPerSecond);
        pacingGauge(pacingRates, "smtp.pacing.rate",
                "The adaptive pacing rate of a site: transactions started per second, 0 for none", site)
                .set((int) Math.min(Integer.MAX_VALUE, Math.round(newPerSecond)));
    }

    private void pacingChange(String site, String kind, boolean increase) {
        Counter.builder("smtp.pacing.changes")
                .description("Adaptive pacing changes of a site's concurrency limit or rate")
                .tags(tags(site).and("kind", kind).and("direction", increase ? "increase" : "decrease"))
                .register(registry)
                .increment();
    }

    private AtomicInteger pacingGauge(Map<String, AtomicInteger> values, String name, String description, String site) {
        return values.computeIfAbsent(destinationTag ? site : "", k -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder(name, value, AtomicInteger::get).description(description).tags(tags(site)).register(registry);
            return value;
        });
    }

    private AtomicInteger sessions(String destination) {
        String key = destinationTag ? destination : "";
        return openSessions.computeIfAbsent(key, k -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder("smtp.sessions.open", value, AtomicInteger::get)
                    .description("Open SMTP sessions")
                    .tags(tags(destination))
                    .register(registry);
            return value;
        });
    }

    private Tags tags(String destination) {
        return destinationTag ? commonTags.and("destination", destination) : commonTags;
    }

    @Override
    public String toString() {
        return "MicrometerEventListener{" + registry.getClass().getSimpleName() + ", " + commonTags
                + (destinationTag ? ", with destination" : ", without destination") + "}";
    }

    /** Builds a {@link MicrometerEventListener}. */
    public static final class Builder {
        private final MeterRegistry registry;
        private Iterable<Tag> commonTags = Tags.empty();
        private boolean destinationTag = true;

        private Builder(MeterRegistry registry) {
            this.registry = registry;
        }

        /** @param tags tags added to every meter (default none) @return this */
        public Builder commonTags(Iterable<Tag> tags) {
            this.commonTags = tags;
            return this;
        }

        /**
         * @param on whether meters carry the {@code destination} tag (default true); turn it off when sending
         *     to many destinations, to bound the number of time series
         * @return this
         */
        public Builder destinationTag(boolean on) {
            this.destinationTag = on;
            return this;
        }

        /**
         * @return the listener
         * @throws NullPointerException if the registry or the common tags are null
         * @throws IllegalArgumentException if a common tag is named {@code destination} while that tag is on
         */
        public MicrometerEventListener build() {
            return new MicrometerEventListener(this);
        }
    }
}
