package io.reactivesmtp.reactor;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * How {@link SmtpRetry} retries a message whose recipients failed transiently: how many attempts, how long to
 * wait between them, and whether an unknown outcome may be retried. Immutable; build with {@link #builder()},
 * change with {@link #mutate()}.
 *
 * <p>The delay before retry number {@code n} (the wait before attempt {@code n + 1}) is
 * {@code min(firstBackoff * multiplier^(n-1), maxBackoff)}, then spread by the jitter factor {@code j} to a
 * uniformly random value in {@code [base * (1 - j), base * (1 + j)]}, and capped at {@code maxBackoff} again.
 * Jitter keeps thousands of messages that failed together (a server's 421 during a burst) from all coming back
 * in the same second.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder()
 *     .maxAttempts(5)
 *     .firstBackoff(Duration.ofMinutes(1))
 *     .maxBackoff(Duration.ofMinutes(30))
 *     .build();
 * Mono<SendReport> report = SmtpRetry.send(message, client::send, policy);
 * }</pre>
 */
public final class RetryPolicy {

    /** Default number of attempts, the first one included. */
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    /** Default wait before the first retry: greylisting servers typically want a few minutes, 30 s is a start. */
    public static final Duration DEFAULT_FIRST_BACKOFF = Duration.ofSeconds(30);
    /** Default upper bound of any wait. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(10);
    /** Default factor between two successive waits. */
    public static final double DEFAULT_MULTIPLIER = 2.0;
    /** Default jitter factor. */
    public static final double DEFAULT_JITTER = 0.5;

    /** A policy that never retries: one attempt, its result passed through unchanged. */
    public static final RetryPolicy NONE = builder().maxAttempts(1).build();

    private final int maxAttempts;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final double multiplier;
    private final double jitter;
    private final boolean retryUnknownOutcome;
    private final Scheduler scheduler;

    private RetryPolicy(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.firstBackoff = b.firstBackoff;
        this.maxBackoff = b.maxBackoff;
        this.multiplier = b.multiplier;
        this.jitter = b.jitter;
        this.retryUnknownOutcome = b.retryUnknownOutcome;
        this.scheduler = b.scheduler;
    }

    /** @return a builder with the documented defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this policy's settings */
    public Builder mutate() {
        Builder b = new Builder();
        b.maxAttempts = maxAttempts;
        b.firstBackoff = firstBackoff;
        b.maxBackoff = maxBackoff;
        b.multiplier = multiplier;
        b.jitter = jitter;
        b.retryUnknownOutcome = retryUnknownOutcome;
        b.scheduler = scheduler; // null stays null: "the default, looked up at use"
        return b;
    }

    /** @return how many attempts at most, the first one included (1 means never retry) */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the wait before the first retry, before jitter */
    public Duration firstBackoff() {
        return firstBackoff;
    }

    /** @return the upper bound of any wait, jitter included */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** @return the factor between two successive waits */
    public double multiplier() {
        return multiplier;
    }

    /** @return the jitter factor, 0 (exact waits) to 1 (anywhere from 0 to twice the wait) */
    public double jitter() {
        return jitter;
    }

    /**
     * @return whether a message whose final reply never came ({@link io.reactivesmtp.SmtpUnknownOutcomeException})
     *     is sent again; false by default because the first copy may have been delivered
     */
    public boolean retryUnknownOutcome() {
        return retryUnknownOutcome;
    }

    /** @return the scheduler the waits between attempts run on */
    public Scheduler scheduler() {
        // The default is looked up at use, not at build: Schedulers.parallel() is cached by Reactor, and a
        // policy built before a Schedulers.shutdownNow() (common in tests and app restarts) would otherwise
        // hold a disposed scheduler forever.
        return scheduler != null ? scheduler : Schedulers.parallel();
    }

    /**
     * The wait before a retry, with a fresh random jitter.
     *
     * @param retry the retry's number, 1 for the wait between the first and the second attempt
     * @return the wait
     */
    public Duration backoff(int retry) {
        return backoff(retry, ThreadLocalRandom.current().nextDouble());
    }

    /**
     * The wait before a retry for a given random draw; deterministic, for tests and for callers that bring
     * their own randomness.
     *
     * @param retry the retry's number, at least 1
     * @param random a value in {@code [0, 1)}: 0 gives the shortest wait the jitter allows, 0.5 the base
     * @return the wait, between zero and {@link #maxBackoff()}
     */
    public Duration backoff(int retry, double random) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry number must be at least 1: " + retry);
        }
        if (!(random >= 0 && random <= 1)) {
            throw new IllegalArgumentException("random draw must be in [0, 1]: " + random);
        }
        double max = maxBackoff.toNanos();
        // Computed in double nanoseconds: multiplier^retry overflows long long before it could matter, and the
        // cap applies right after, so the precision lost above ~2^53 ns (104 days) is irrelevant.
        double base = Math.min(firstBackoff.toNanos() * Math.pow(multiplier, retry - 1), max);
        double jittered = base * (1 - jitter + 2 * jitter * random);
        return Duration.ofNanos((long) Math.max(0, Math.min(jittered, max)));
    }

    @Override
    public String toString() {
        return "RetryPolicy{maxAttempts=" + maxAttempts + ", firstBackoff=" + firstBackoff + ", maxBackoff="
                + maxBackoff + ", multiplier=" + multiplier + ", jitter=" + jitter + ", retryUnknownOutcome="
                + retryUnknownOutcome + "}";
    }

    /** Builds a {@link RetryPolicy}; every value is checked in {@link #build()}. */
    public static final class Builder {
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration firstBackoff = DEFAULT_FIRST_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private double multiplier = DEFAULT_MULTIPLIER;
        private double jitter = DEFAULT_JITTER;
        private boolean retryUnknownOutcome;
        private Scheduler scheduler;

        private Builder() {
        }

        /** @param maxAttempts attempts at most, the first included; at least 1 (default 4) @return this */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** @param firstBackoff the wait before the first retry, not negative (default 30 s) @return this */
        public Builder firstBackoff(Duration firstBackoff) {
            this.firstBackoff = firstBackoff;
            return this;
        }

        /** @param maxBackoff the bound of any wait, at least {@code firstBackoff} (default 10 min) @return this */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
            return this;
        }

        /** @param multiplier the factor between two successive waits, at least 1 (default 2) @return this */
        public Builder multiplier(double multiplier) {
            this.multiplier = multiplier;
            return this;
        }

        /** @param jitter the jitter factor, 0 to 1 (default 0.5) @return this */
        public Builder jitter(double jitter) {
            this.jitter = jitter;
            return this;
        }

        /**
         * @param retry whether to resend after an unknown outcome (default false: a retry could deliver twice)
         * @return this
         */
        public Builder retryUnknownOutcome(boolean retry) {
            this.retryUnknownOutcome = retry;
            return this;
        }

        /**
         * @param scheduler where the waits run (default {@link Schedulers#parallel()}; tests pass a
         *     {@code VirtualTimeScheduler})
         * @return this
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /**
         * @return the policy
         * @throws IllegalArgumentException if a value is out of range
         * @throws NullPointerException if a duration is null
         */
        public RetryPolicy build() {
            Objects.requireNonNull(firstBackoff, "firstBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
            }
            if (firstBackoff.isNegative()) {
                throw new IllegalArgumentException("firstBackoff must not be negative: " + firstBackoff);
            }
            if (maxBackoff.compareTo(firstBackoff) < 0) {
                throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is below firstBackoff " + firstBackoff);
            }
            if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
                throw new IllegalArgumentException("multiplier must be a finite number of at least 1: " + multiplier);
            }
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("jitter must be between 0 and 1: " + jitter);
            }
            return new RetryPolicy(this);
        }
    }
}
