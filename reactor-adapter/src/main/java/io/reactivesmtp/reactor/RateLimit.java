package io.reactivesmtp.reactor;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A per-destination rate limit for {@link SmtpClient}: a token bucket per destination that every mail
 * transaction takes one token from before it starts. Immutable; build with {@link #builder()} or
 * {@link #perSecond(double)}, change with {@link #mutate()}, hand to
 * {@link SmtpClientOptions.Builder#rateLimit(RateLimit)}.
 *
 * <pre>{@code
 * SmtpClientOptions options = SmtpClientOptions.builder()
 *     .relay("smtp.example.com", 587)
 *     .rateLimit(RateLimit.builder().perSecond(5).burst(10).coolDown(Duration.ofMinutes(2)).build())
 *     .build();
 * }</pre>
 *
 * <h2>The bucket</h2>
 * A destination is one server: host, port, TLS options, credentials identity and local address, the same key the
 * session pools use (in MX mode each mail exchanger is limited on its own, whichever domains it serves). Its
 * bucket holds up to {@link #burst()} tokens and refills at the destination's current rate. A transaction that
 * finds no token waits, without blocking any thread, on a timer of the {@link #scheduler() scheduler}; waiters
 * of one destination are served first come, first served. Every transaction attempt at a server takes a token,
 * including a failover attempt at the next relay or exchanger and the rare resend after a pooled connection
 * turned out to be closed.
 *
 * <h2>Adaptive backoff</h2>
 * When a server answers {@code 421} at any step (greeting, MAIL, RCPT, DATA, end of data), or any reply with an
 * enhanced status code of class {@code 4.7.x} (for instance {@code 451 4.7.1} "rate limited" or
 * {@code 450 4.7.0}), that destination's rate is halved (never below {@link #MIN_RATE_FRACTION} of the
 * configured rate), its bucket is emptied, and a cool-down of {@link #coolDown()} starts. Replies to
 * transactions that started before the last halving do not halve again: a burst of 421s from one overload counts
 * once. Each cool-down that passes without a further signal doubles the rate again, up to the configured rate,
 * so a rate halved once is back to normal after one cool-down, one halved three times after three.
 *
 * <h2>Memory</h2>
 * A destination whose bucket is full again, with nobody waiting and its rate back to the configured one, is
 * indistinguishable from one never seen and is forgotten (checked at most once per second, on use): the state
 * grows with the destinations in use, not with all destinations ever used.
 */
public final class RateLimit {

    /** The default time a halved rate is kept before it climbs back. */
    public static final Duration DEFAULT_COOL_DOWN = Duration.ofSeconds(60);
    /**
     * The lowest fraction of the configured rate that halving can reach: the rate never falls below
     * {@code perSecond() * MIN_RATE_FRACTION}, so a server that keeps refusing is still probed now and then.
     */
    public static final double MIN_RATE_FRACTION = 1.0 / 64;

    private final double perSecond;
    private final int burst;
    private final Duration coolDown;
    private final Scheduler scheduler;

    private RateLimit(Builder b, int burst) {
        this.perSecond = b.perSecond;
        this.burst = burst;
        this.coolDown = b.coolDown;
        this.scheduler = b.scheduler;
    }

    /**
     * A limit with the default burst (one second's worth of messages, at least 1) and cool-down.
     *
     * @param messages transactions per second to each destination, greater than 0
     * @return the limit
     * @throws IllegalArgumentException if {@code messages} is not a positive finite number
     */
    public static RateLimit perSecond(double messages) {
        return builder().perSecond(messages).build();
    }

    /** @return a builder; {@link Builder#perSecond(double)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these settings */
    public Builder mutate() {
        Builder b = new Builder();
        b.perSecond = perSecond;
        b.burst = burst;
        b.burstSet = true;
        b.coolDown = coolDown;
        b.scheduler = scheduler;
        return b;
    }

    /** @return the configured rate: transactions per second to each destination */
    public double perSecond() {
        return perSecond;
    }

    /** @return how many transactions may start at once after a quiet period (the bucket's size) */
    public int burst() {
        return burst;
    }

    /** @return how long a halved rate is kept before it doubles again */
    public Duration coolDown() {
        return coolDown;
    }

    /**
     * @return the scheduler the waits run on and whose clock the buckets read, when one was set; otherwise waits
     *     run on {@link Schedulers#parallel()} and time is read from {@link System#nanoTime()}
     */
    public Optional<Scheduler> scheduler() {
        return Optional.ofNullable(scheduler);
    }

    @Override
    public String toString() {
        return "RateLimit{perSecond=" + perSecond + ", burst=" + burst + ", coolDown=" + coolDown + "}";
    }

    /** Builds a {@link RateLimit}; every value is checked in {@link #build()}. */
    public static final class Builder {
        private double perSecond = Double.NaN;
        /** Unset: one second's worth, at least 1. */
        private int burst;
        private boolean burstSet;
        private Duration coolDown = DEFAULT_COOL_DOWN;
        private Scheduler scheduler;

        private Builder() {
        }

        /**
         * @param messages transactions per second to each destination, greater than 0 (required)
         * @return this
         */
        public Builder perSecond(double messages) {
            this.perSecond = messages;
            return this;
        }

        /**
         * @param burst transactions that may start at once after a quiet period, at least 1 (default: one second's
         *     worth of the rate, at least 1)
         * @return this
         */
        public Builder burst(int burst) {
            this.burst = burst;
            this.burstSet = true;
            return this;
        }

        /**
         * @param coolDown how long a halved rate is kept, greater than 0 (default 60 s)
         * @return this
         */
        public Builder coolDown(Duration coolDown) {
            this.coolDown = coolDown;
            return this;
        }

        /**
         * @param scheduler where the waits run and whose clock is read (default: {@link Schedulers#parallel()} and
         *     {@link System#nanoTime()}; tests pass a {@code VirtualTimeScheduler})
         * @return this
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * @return the limit
         * @throws IllegalArgumentException if a value is missing or out of range
         */
        public RateLimit build() {
            if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
                throw new IllegalArgumentException("perSecond must be a positive finite number: " + perSecond);
            }
            if (burstSet && burst < 1) {
                throw new IllegalArgumentException("burst must be at least 1: " + burst);
            }
            Objects.requireNonNull(coolDown, "coolDown");
            if (coolDown.isNegative() || coolDown.isZero()) {
                throw new IllegalArgumentException("coolDown must be positive: " + coolDown);
            }
            int b = burstSet ? burst : (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(perSecond)));
            return new RateLimit(this, b);
        }
    }
}
