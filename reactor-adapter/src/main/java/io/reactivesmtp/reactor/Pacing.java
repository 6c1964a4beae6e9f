package io.reactivesmtp.reactor;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import reactor.core.scheduler.Scheduler;

/**
 * Adaptive pacing per site, on by default ({@link #DEFAULT}); {@link #OFF} turns it off. A site is a destination
 * host, or every MX host under one provider suffix ({@link #providerSuffixes()}: all {@code *.google.com} hosts share
 * one budget). Per site the client keeps how many transactions run at once and, once the site complained about the
 * pace of messages, how many start per second, and changes both by additive increase / multiplicative decrease:
 * <ul>
 * <li>The concurrency limit starts at {@link #initial()} and grows by one per round of transactions that went
 *     through (as many as the limit, the limit reached in the round, every transaction of the previous round
 *     done). A site that never sent a slow-down signal, once a round of 8 at once went through, doubles its limit
 *     per round instead (slow start): a server limiting connections per client mostly does so below that, where
 *     growth stays one at a time and finds the limit with one refused connection, while a site that never pushes
 *     back is at 64 three rounds later. The first signal ends slow start. The limit never exceeds the pool's
 *     {@code maxConnectionsPerDestination} (twice that when a connection carries several messages: one awaiting its
 *     final reply, the next behind it).</li>
 * <li>A slow-down signal is a {@code 421} or a {@code 4.7.x} status at any step, a refused connection or a timeout.
 *     One about connections (a refused greeting or connection, a timeout) halves the concurrency limit (never below
 *     {@link #floor()}); a 421 or 4.7.x in a transaction, about the pace of messages, sets a rate (half the
 *     transactions started in the last second) or halves it (never below {@link #minRate()}). Signals less than a
 *     fifth of {@link #quietPeriod()} apart are one overload and count once.</li>
 * <li>After a quiet period without a signal the rate grows back first (per second, by a tenth of where the last
 *     decrease put it, on past the pace the server first complained at, and is lifted at four times that pace), then
 *     the concurrency limit, by one per quiet period.</li>
 * <li>A connection refused at the greeting, or a transaction refused at its MAIL command, with 421/4.7.x (nothing
 *     was sent) is attempted again, under the lowered limits, at most {@link #maxRequeues()} times before the failure
 *     is reported (as transient). A greeting refusal is requeued only while other sessions of the client are at
 *     that site (its concurrency is then the likely cause); a server that refuses even one session is not
 *     reconnected to at once, the failure goes to the retry policy and its backoff.</li>
 * </ul>
 * Every change is an event: {@link SmtpEventListener#pacingChanged} and {@link SmtpEventListener#pacingRateChanged},
 * counted by {@link MicrometerEventListener} as {@code smtp.pacing.changes} with gauges {@code smtp.pacing.limit} and
 * {@code smtp.pacing.rate}. A configured {@link RateLimit} is the rate instead (it halves itself on 421 and 4.7.x):
 * pacing then adapts concurrency only.
 * A {@link Warmup} adds a daily volume per site ({@link Builder#warmup(Warmup)}). What pacing learned can be kept
 * across restarts: {@link SmtpClient#learnedPacing()} at the end, {@link Builder#learned} at the next start
 * ({@link LearnedPace}).
 *
 * <pre>{@code
 * SmtpClientOptions.builder().mx(resolver)
 *     .pacing(Pacing.builder().providerSuffixes(List.of("google.com", "outlook.com")).build())
 *     .build();
 * }</pre>
 *
 * @param enabled whether pacing applies ({@link #OFF} turns it off)
 * @param floor the lowest concurrency limit, at least 1
 * @param initial the first concurrency limit of a site, at least {@code floor}
 * @param quietPeriod how long without a slow-down signal before the limits grow again; positive
 * @param providerSuffixes host suffixes whose hosts share one site (lower case, no leading dot)
 * @param maxRequeues how often a send refused at the greeting or at MAIL with 421/4.7.x is attempted again; 0 or more
 * @param minRate the lowest rate pacing sets, transactions per second; positive
 * @param scheduler the clock and timer of pacing, or null for the monotonic clock and {@code Schedulers.parallel()}
 *     (tests hand in a {@code VirtualTimeScheduler})
 * @param warmup a daily volume per site, or null for none (the default); it applies whether or not the adaptive part
 *     is enabled
 * @param learned what an earlier client learned about sites ({@link SmtpClient#learnedPacing()}), one entry per site:
 *     those sites start there instead of at {@link #initial()} (empty by default)
 */
public record Pacing(boolean enabled, int floor, int initial, Duration quietPeriod, List<String> providerSuffixes,
        int maxRequeues, double minRate, Scheduler scheduler, Warmup warmup, List<LearnedPace> learned) {

    /** The default floor. */
    public static final int DEFAULT_FLOOR = 1;
    /** The default first limit of a site. */
    public static final int DEFAULT_INITIAL = 4;
    /** The default quiet period. */
    public static final Duration DEFAULT_QUIET_PERIOD = Duration.ofSeconds(5);
    /** The default provider suffixes: the big mailbox providers' MX host names. */
    public static final List<String> DEFAULT_PROVIDER_SUFFIXES = List.of("google.com", "googlemail.com",
            "outlook.com", "yahoodns.net", "icloud.com");
    /** The default number of attempts again after a refusal at the greeting. */
    public static final int DEFAULT_MAX_REQUEUES = 10;
    /** The default lowest rate: one transaction per second. */
    public static final double DEFAULT_MIN_RATE = 1.0;
    /** Pacing on with the defaults. */
    public static final Pacing DEFAULT = builder().build();
    /** No pacing and no warm-up: only the configured bounds and rate limit apply. */
    public static final Pacing OFF = new Pacing(false, DEFAULT_FLOOR, DEFAULT_INITIAL, DEFAULT_QUIET_PERIOD,
            DEFAULT_PROVIDER_SUFFIXES, 0, DEFAULT_MIN_RATE, null, null, List.of());

    /** Checks the values; each error names the value. */
    public Pacing {
        if (floor < 1) {
            throw new IllegalArgumentException("pacing floor must be at least 1, not " + floor);
        }
        if (initial < floor) {
            throw new IllegalArgumentException("pacing initial limit " + initial + " is below the floor " + floor);
        }
        Objects.requireNonNull(quietPeriod, "quietPeriod");
        if (quietPeriod.isNegative() || quietPeriod.isZero()) {
            throw new IllegalArgumentException("pacing quiet period must be positive, not " + quietPeriod);
        }
        Objects.requireNonNull(providerSuffixes, "providerSuffixes");
        for (String s : providerSuffixes) {
            // An ASCII host name of two labels or more (letters, digits, hyphens): a site name with ':' or '['
            // is a destination's or an address's (PacingSite), never a provider's.
            if (s == null || !s.matches("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+")) {
                throw new IllegalArgumentException("invalid pacing provider suffix " + (s == null ? "null"
                        : "\"" + s.replaceAll("[^\\x21-\\x7e]", "?") + "\"")
                        + ": expected an ASCII host name with a dot (IDN as xn--), such as google.com");
            }
        }
        providerSuffixes = providerSuffixes.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
        if (maxRequeues < 0) {
            throw new IllegalArgumentException("pacing maxRequeues must not be negative: " + maxRequeues);
        }
        if (!(minRate > 0) || Double.isInfinite(minRate)) {
            throw new IllegalArgumentException("pacing minRate must be a positive number, not " + minRate);
        }
        learned = List.copyOf(Objects.requireNonNull(learned, "learned"));
        Set<String> seen = new HashSet<>();
        for (LearnedPace l : learned) {
            if (!seen.add(l.site())) {
                throw new IllegalArgumentException("learned pace: site " + l.site() + " is given twice");
            }
        }
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these values */
    public Builder mutate() {
        Builder b = new Builder();
        b.floor = floor;
        b.initial = initial;
        b.quietPeriod = quietPeriod;
        b.providerSuffixes = providerSuffixes;
        b.maxRequeues = maxRequeues;
        b.minRate = minRate;
        b.scheduler = scheduler;
        b.warmup = warmup;
        b.adaptive = enabled;
        b.learned = learned;
        return b;
    }

    /** Builds {@link Pacing}; {@link #build()} checks the values. */
    public static final class Builder {
        private int floor = DEFAULT_FLOOR;
        /** Null until set: then the larger of the floor and {@link #DEFAULT_INITIAL}. */
        private Integer initial;
        private Duration quietPeriod = DEFAULT_QUIET_PERIOD;
        private List<String> providerSuffixes = DEFAULT_PROVIDER_SUFFIXES;
        private int maxRequeues = DEFAULT_MAX_REQUEUES;
        private double minRate = DEFAULT_MIN_RATE;
        private Scheduler scheduler;
        private Warmup warmup;
        private boolean adaptive = true;
        private List<LearnedPace> learned = List.of();

        private Builder() {
        }

        /**
         * @param floor the lowest concurrency limit, at least 1; unless {@link #initial(int)} is given, sites also
         *     start at it when it is above {@link #DEFAULT_INITIAL}
         * @return this
         */
        public Builder floor(int floor) {
            this.floor = floor;
            return this;
        }

        /** @param initial the first concurrency limit of a site @return this */
        public Builder initial(int initial) {
            this.initial = initial;
            return this;
        }

        /** @param quietPeriod how long without a signal before growing again @return this */
        public Builder quietPeriod(Duration quietPeriod) {
            this.quietPeriod = quietPeriod;
            return this;
        }

        /** @param suffixes host suffixes whose hosts share one site, e.g. {@code google.com} @return this */
        public Builder providerSuffixes(List<String> suffixes) {
            this.providerSuffixes = suffixes;
            return this;
        }

        /** @param maxRequeues attempts again after a refusal at the greeting @return this */
        public Builder maxRequeues(int maxRequeues) {
            this.maxRequeues = maxRequeues;
            return this;
        }

        /** @param perSecond the lowest rate pacing sets, transactions per second @return this */
        public Builder minRate(double perSecond) {
            this.minRate = perSecond;
            return this;
        }

        /** @param scheduler the clock and timer (a {@code VirtualTimeScheduler} in tests) @return this */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * @param warmup a daily volume per site that ramps over days, or null for none
         * @return this
         */
        public Builder warmup(Warmup warmup) {
            this.warmup = warmup;
            return this;
        }

        /**
         * @param adaptive false to keep only the {@link #warmup(Warmup) warm-up}, without adaptive limits (true by
         *     default)
         * @return this
         */
        public Builder adaptive(boolean adaptive) {
            this.adaptive = adaptive;
            return this;
        }

        /**
         * @param learned what an earlier client learned ({@link SmtpClient#learnedPacing()}, kept by the application
         *     across restarts), one entry per site; stale entries are the application's to drop
         *     ({@link LearnedPace#at()}); with a configured {@link RateLimit}, only their concurrency applies
         * @return this
         */
        public Builder learned(Collection<LearnedPace> learned) {
            this.learned = List.copyOf(learned);
            return this;
        }

        /** @return the pacing @throws IllegalArgumentException naming a bad value */
        public Pacing build() {
            int start = initial != null ? initial : Math.max(floor, DEFAULT_INITIAL);
            return new Pacing(adaptive, floor, start, quietPeriod, providerSuffixes, maxRequeues, minRate, scheduler,
                    warmup, learned);
        }
    }
}
