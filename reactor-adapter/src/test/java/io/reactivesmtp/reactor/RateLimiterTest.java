package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.reactor.internal.RateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The per-destination token buckets, on a {@link VirtualTimeScheduler}: every assertion is on the virtual instants
 * at which tokens were granted, never on wall-clock time.
 */
class RateLimiterTest {

    private final VirtualTimeScheduler vts = VirtualTimeScheduler.create();

    private RateLimiter limiter(double perSecond, int burst) {
        return new RateLimiter(RateLimit.builder().perSecond(perSecond).burst(burst).coolDown(Duration.ofSeconds(60))
                .scheduler(vts).build());
    }

    /** Virtual milliseconds at which each acquire got its token, in grant order. */
    private final List<Long> granted = new CopyOnWriteArrayList<>();
    private final List<RateLimiter.Ticket> tickets = new CopyOnWriteArrayList<>();

    private Disposable acquire(RateLimiter limiter, Object key) {
        return limiter.acquire(key).subscribe(t -> {
            granted.add(vts.now(TimeUnit.MILLISECONDS));
            tickets.add(t);
        });
    }

    private void advanceMillis(long ms) {
        vts.advanceTimeBy(Duration.ofMillis(ms));
    }

    @Test
    void nMessagesAtRateRTakeNMinusBurstOverR() {
        RateLimiter limiter = limiter(10, 3);   // one token per 100 ms, 3 at once after a quiet period
        int n = 10;
        for (int i = 0; i < n; i++) {
            acquire(limiter, "mx.example");
        }
        assertThat(granted).containsExactly(0L, 0L, 0L);
        advanceMillis(10_000);
        assertThat(granted).hasSize(n);
        // (n - burst) / rate = 7 / 10 s: the last token at 700 ms, one every 100 ms after the burst.
        assertThat(granted).containsExactly(0L, 0L, 0L, 100L, 200L, 300L, 400L, 500L, 600L, 700L);
        assertThat(granted.get(n - 1)).isGreaterThanOrEqualTo((n - 3) * 1000L / 10);
    }

    @Test
    void theBucketRefillsUpToTheBurstOnly() {
        RateLimiter limiter = limiter(10, 2);
        advanceMillis(60_000);  // a long quiet period still gives only `burst` tokens
        for (int i = 0; i < 4; i++) {
            acquire(limiter, "k");
        }
        advanceMillis(1_000);
        assertThat(granted).containsExactly(60_000L, 60_000L, 60_100L, 60_200L);
    }

    @Test
    void aThrottleSignalHalvesTheRateAndCoolsDownBackToTheConfiguredRate() {
        RateLimiter limiter = limiter(10, 1);
        acquire(limiter, "k");
        assertThat(granted).containsExactly(0L);
        for (int i = 0; i < 4; i++) {
            acquire(limiter, "k");
        }
        limiter.throttled(tickets.get(0));   // the server answered 421 to the first transaction
        assertThat(limiter.currentRate("k")).isEqualTo(5.0);
        advanceMillis(1_000);
        // 200 ms apart instead of 100.
        assertThat(granted).containsExactly(0L, 200L, 400L, 600L, 800L);

        // A reply to a transaction that started before the halving does not halve again...
        RateLimiter.Ticket beforeSecondHalving = tickets.get(4);
        limiter.throttled(tickets.get(1));
        assertThat(limiter.currentRate("k")).isEqualTo(2.5);
        limiter.throttled(beforeSecondHalving);
        limiter.throttled(tickets.get(2));
        assertThat(limiter.currentRate("k")).isEqualTo(2.5);

        // ...and each cool-down without a signal doubles the rate again, up to the configured rate.
        advanceMillis(60_000);
        assertThat(limiter.currentRate("k")).isEqualTo(5.0);
        advanceMillis(60_000);
        assertThat(limiter.currentRate("k")).isEqualTo(10.0);
        advanceMillis(60_000);
        assertThat(limiter.currentRate("k")).isEqualTo(10.0);
    }

    @Test
    void theRateNeverFallsBelowItsFloor() {
        RateLimiter limiter = limiter(64, 1);
        for (int i = 0; i < 20; i++) {
            granted.clear();
            acquire(limiter, "k");
            // Long enough for a token even at the floor (1/s), well within the cool-down (reset at each signal).
            advanceMillis(2_000);
            limiter.throttled(tickets.get(tickets.size() - 1));
        }
        assertThat(limiter.currentRate("k")).isEqualTo(64 * RateLimit.MIN_RATE_FRACTION);
    }

    @Test
    void limitsAreIndependentPerDestination() {
        RateLimiter limiter = limiter(10, 1);
        List<Long> a = new ArrayList<>();
        List<Long> b = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            limiter.acquire("a").subscribe(t -> a.add(vts.now(TimeUnit.MILLISECONDS)));
        }
        RateLimiter.Ticket[] firstOfB = new RateLimiter.Ticket[1];
        limiter.acquire("b").subscribe(t -> {
            firstOfB[0] = t;
            b.add(vts.now(TimeUnit.MILLISECONDS));
        });
        // "a" has used its burst: "b" still goes at once.
        assertThat(b).containsExactly(0L);
        limiter.throttled(firstOfB[0]);   // "b" is throttled; "a" is not affected
        for (int i = 0; i < 2; i++) {
            limiter.acquire("b").subscribe(t -> b.add(vts.now(TimeUnit.MILLISECONDS)));
        }
        advanceMillis(1_000);
        assertThat(a).containsExactly(0L, 100L, 200L);
        assertThat(b).containsExactly(0L, 200L, 400L);
        assertThat(limiter.currentRate("a")).isEqualTo(10.0);
    }

    @Test
    void aCancelledWaiterGivesUpItsPlace() {
        RateLimiter limiter = limiter(10, 1);
        acquire(limiter, "k");
        Disposable second = acquire(limiter, "k");
        acquire(limiter, "k");
        second.dispose();
        advanceMillis(1_000);
        assertThat(granted).containsExactly(0L, 100L);
    }

    @Test
    void idleDestinationsAreForgotten() {
        RateLimiter limiter = limiter(10, 1);
        for (int i = 0; i < 100; i++) {
            acquire(limiter, "domain" + i + ".example");
        }
        assertThat(limiter.trackedDestinations()).isEqualTo(100);
        advanceMillis(5_000);   // every bucket full again, nobody waiting
        acquire(limiter, "another.example");
        assertThat(limiter.trackedDestinations()).isEqualTo(1);

        // A throttled destination is remembered until its rate is back to normal.
        limiter.throttled(tickets.get(tickets.size() - 1));
        advanceMillis(5_000);
        acquire(limiter, "x");
        assertThat(limiter.trackedDestinations()).isEqualTo(2);
        advanceMillis(61_000);
        acquire(limiter, "y");
        assertThat(limiter.trackedDestinations()).isEqualTo(1);
    }

    @Test
    void throttleSignalsAre421AndEnhancedStatus47() {
        assertThat(RateLimiter.isThrottle(SmtpReply.of(421, "4.3.2 closing"))).isTrue();
        assertThat(RateLimiter.isThrottle(SmtpReply.of(421, "closing"))).isTrue();
        assertThat(RateLimiter.isThrottle(SmtpReply.of(451, "4.7.1 rate limited, slow down"))).isTrue();
        assertThat(RateLimiter.isThrottle(SmtpReply.of(450, "4.7.0 try again later"))).isTrue();
        assertThat(RateLimiter.isThrottle(SmtpReply.of(451, "4.3.0 local error"))).isFalse();
        assertThat(RateLimiter.isThrottle(SmtpReply.of(450, "mailbox busy"))).isFalse();
        assertThat(RateLimiter.isThrottle(SmtpReply.of(550, "5.7.1 relaying denied"))).isFalse();
        assertThat(RateLimiter.isThrottle(new SmtpSessionRejectedException(SmtpPhase.GREETING,
                SmtpReply.of(421, "4.7.0 too many connections")))).isTrue();
        assertThat(RateLimiter.isThrottle(new SmtpSessionRejectedException(SmtpPhase.GREETING,
                SmtpReply.of(554, "5.7.1 go away")))).isFalse();

        Envelope envelope = Envelope.of("a@b.test", "x@c.test", "y@c.test");
        SendReport throttledRcpt = SendReport.builder().envelope(envelope)
                .mailReply(SmtpReply.of(250, "ok"))
                .recipient(RecipientResult.decided(envelope.recipients().get(0), SmtpReply.of(250, "queued"),
                        SmtpReply.of(250, "ok")))
                .recipient(RecipientResult.decided(envelope.recipients().get(1),
                        SmtpReply.of(451, "4.7.1 slow down"), SmtpReply.of(451, "4.7.1 slow down")))
                .build();
        assertThat(RateLimiter.isThrottle(throttledRcpt)).isTrue();
    }

    @Test
    void optionsValidateAtBuild() {
        assertThatThrownBy(() -> RateLimit.builder().build()).hasMessageContaining("perSecond");
        assertThatThrownBy(() -> RateLimit.perSecond(0)).hasMessageContaining("perSecond");
        assertThatThrownBy(() -> RateLimit.perSecond(Double.POSITIVE_INFINITY)).hasMessageContaining("perSecond");
        assertThatThrownBy(() -> RateLimit.builder().perSecond(1).burst(0).build()).hasMessageContaining("burst");
        assertThatThrownBy(() -> RateLimit.builder().perSecond(1).coolDown(Duration.ZERO).build())
                .hasMessageContaining("coolDown");
        assertThat(RateLimit.perSecond(2.5).burst()).isEqualTo(3);
        assertThat(RateLimit.perSecond(0.1).burst()).isEqualTo(1);
        assertThat(RateLimit.perSecond(5).coolDown()).isEqualTo(RateLimit.DEFAULT_COOL_DOWN);
        RateLimit changed = RateLimit.perSecond(5).mutate().burst(7).build();
        assertThat(changed.perSecond()).isEqualTo(5.0);
        assertThat(changed.burst()).isEqualTo(7);
        SmtpClientOptions options = SmtpClientOptions.builder().relay("h", 25).build();
        assertThat(options.rateLimit()).isEmpty();
        assertThat(options.retry()).isSameAs(RetryPolicy.NONE);
        assertThatThrownBy(() -> SmtpClientOptions.builder().relay("h", 25).maxAwaitingRetry(-1).build())
                .hasMessageContaining("maxAwaitingRetry");
    }
}
