package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.reactor.internal.AdaptivePacing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * What pacing learned, kept across clients ({@link LearnedPace}): a client given it starts those sites where the
 * earlier one left them (limit and rate in force, no slow start), gives back what it learned and what it was given
 * about sites it did not use, and checks what it is given. On a virtual clock.
 */
class LearnedPacingTest {

    private static final Duration QUIET = Duration.ofSeconds(5);
    private static final String SITE = "mx.throttled.example.test:25";

    private final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    private final List<String> events = new ArrayList<>();

    private final AdaptivePacing.Listener listener = AdaptivePacingTest.recordingInto(events);

    private AdaptivePacing client(List<LearnedPace> learned) {
        return new AdaptivePacing(Pacing.builder().quietPeriod(QUIET).scheduler(vts).learned(learned).build(), 100,
                true, listener);
    }

    /** As many transactions at once as the limit allows, all through, 10 ms of virtual time: the limit. */
    private int round(AdaptivePacing p, String site) {
        List<AdaptivePacing.Permit> held = new ArrayList<>();
        p.acquire(site, Duration.ofMinutes(1), IllegalStateException::new).subscribe(held::add); // the site exists
        int limit = p.limit(site);
        for (int j = 1; j < limit; j++) {
            p.acquire(site, Duration.ofMinutes(1), IllegalStateException::new).subscribe(held::add);
        }
        vts.advanceTimeBy(Duration.ofMillis(10));
        assertThat(held).as("permits granted").hasSize(limit);
        if (p.rate(site) <= 0) {
            assertThat(p.tryAcquire(site)).as("a place beyond the limit").isNull();
        }
        held.forEach(x -> p.succeeded(site));
        held.forEach(AdaptivePacing.Permit::release);
        return limit;
    }

    private Instant wallNow() {
        return Instant.ofEpochMilli(vts.now(TimeUnit.MILLISECONDS));
    }

    @Test
    void aLearnedSiteStartsAtItsLimitWithoutSlowStartAndGrowsByOneAfterAQuietPeriod() {
        vts.advanceTimeBy(Duration.ofDays(1));
        Instant at = wallNow().minus(Duration.ofHours(3));
        AdaptivePacing p = client(List.of(new LearnedPace(SITE, 5, 0, 0, at)));
        String fresh = "mx.fresh.example.test:25";
        for (int i = 0; i < 6; i++) {
            assertThat(round(p, SITE)).as("round " + i + " at the learned limit").isEqualTo(5);
            round(p, fresh);
        }
        assertThat(p.limit(SITE)).as("no growth before a quiet period, no slow start").isEqualTo(5);
        assertThat(p.limit(fresh)).as("a new site probes: slow start").isGreaterThan(5);
        // Nothing new was learned: the entry goes on as given, its time included.
        assertThat(p.learned()).containsExactly(new LearnedPace(SITE, 5, 0, 0, at));

        vts.advanceTimeBy(QUIET);
        round(p, SITE);
        assertThat(p.limit(SITE)).as("additive growth after the quiet period").isEqualTo(6);
        assertThat(events).anyMatch(e -> e.startsWith(SITE + " 5->6 increase"));
        assertThat(p.learned()).containsExactly(new LearnedPace(SITE, 6, 0, 0, at));
    }

    @Test
    void aLearnedRateIsInForceFromTheFirstTransactionAndANewSignalHalvesItAndDatesTheEntry() {
        vts.advanceTimeBy(Duration.ofDays(1));
        AdaptivePacing p = client(List.of(new LearnedPace(SITE, 20, 50, 120, wallNow().minusSeconds(60))));
        List<Long> starts = new ArrayList<>();
        long t0 = vts.now(TimeUnit.MILLISECONDS);
        for (int i = 0; i < 3; i++) {
            p.acquire(SITE, Duration.ofMinutes(1), IllegalStateException::new).subscribe(x -> {
                starts.add(vts.now(TimeUnit.MILLISECONDS) - t0);
                x.release();
            });
        }
        vts.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(starts).as("50/s: one start every 20 ms from the first").containsExactly(0L, 20L, 40L);
        assertThat(p.rate(SITE)).isEqualTo(50.0);

        vts.advanceTimeBy(Duration.ofSeconds(2));
        Instant signalled = wallNow();
        p.throttled(SITE, true, "421 4.7.0 rate limit exceeded in a transaction");
        vts.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(p.learned()).containsExactly(new LearnedPace(SITE, 20, 25, 120, signalled));
    }

    @Test
    void aClientGivesBackWhatItsSitesLearnedAndWhatItWasGivenAboutSitesItDidNotUse() {
        vts.advanceTimeBy(Duration.ofDays(1));
        LearnedPace unused = new LearnedPace("google.com", 3, 10, 40, wallNow().minus(Duration.ofDays(2)));
        AdaptivePacing first = client(List.of(unused));
        String quiet = "mx.quiet.example.test:25";
        for (int i = 0; i < 5; i++) {
            round(first, quiet);
            round(first, SITE);
        }
        int limitBefore = first.limit(SITE);
        Instant signalled = wallNow();
        first.throttled(SITE, false, "421 4.7.0 too many connections at greeting");
        assertThat(first.learned()).as("sorted by site; the quiet site taught nothing").containsExactly(unused,
                new LearnedPace(SITE, limitBefore / 2, 0, 0, signalled));

        // The next client starts there.
        AdaptivePacing next = client(first.learned());
        assertThat(round(next, SITE)).isEqualTo(limitBefore / 2);
        assertThat(next.learned()).isEqualTo(first.learned());
    }

    @Test
    void aLearnedLimitIsKeptWithinThisClientsFloorAndCeiling() {
        AdaptivePacing narrow = new AdaptivePacing(Pacing.builder().floor(2).scheduler(vts).learned(List.of(
                new LearnedPace("a.example.test:25", 500, 0, 0, Instant.EPOCH),
                new LearnedPace("b.example.test:25", 1, 0, 0, Instant.EPOCH))).build(), 10, true, listener);
        assertThat(round(narrow, "a.example.test:25")).isEqualTo(10);
        assertThat(round(narrow, "b.example.test:25")).isEqualTo(2);
    }

    @Test
    void withAConfiguredRateLimitOnlyTheLearnedConcurrencyAppliesAndTheLearnedRateIsGivenBackAsItWas() {
        vts.advanceTimeBy(Duration.ofDays(1));
        LearnedPace given = new LearnedPace(SITE, 6, 5, 20, wallNow().minus(Duration.ofHours(1)));
        AdaptivePacing concurrencyOnly = new AdaptivePacing(Pacing.builder().quietPeriod(QUIET).scheduler(vts)
                .learned(List.of(given)).build(), 100, false, listener);
        assertThat(round(concurrencyOnly, SITE)).isEqualTo(6);
        assertThat(concurrencyOnly.rate(SITE)).as("the RateLimit is the rate").isZero();
        assertThat(concurrencyOnly.learned()).as("nothing new learned: the entry as given, its rate included")
                .containsExactly(given);

        Instant signalled = wallNow();
        concurrencyOnly.throttled(SITE, false, "421 4.7.0 too many connections at greeting");
        assertThat(concurrencyOnly.learned()).as("the new limit, with the rate this run could not learn about")
                .containsExactly(new LearnedPace(SITE, 3, 5, 20, signalled));
    }

    @Test
    void badLearnedPacesAreRejectedNamingTheSiteAndTheValue() {
        assertThatThrownBy(() -> new LearnedPace("x.example.test:25", 0, 0, 0, Instant.EPOCH))
                .hasMessageContaining("x.example.test:25").hasMessageContaining("limit must be at least 1, not 0");
        assertThatThrownBy(() -> new LearnedPace("x.example.test:25", 1, -1, 0, Instant.EPOCH))
                .hasMessageContaining("rate must be 0 or a positive number, not -1.0");
        assertThatThrownBy(() -> new LearnedPace("x.example.test:25", 1, Double.NaN, 0, Instant.EPOCH))
                .hasMessageContaining("rate must be 0 or a positive number, not NaN");
        assertThatThrownBy(() -> new LearnedPace("x.example.test:25", 1, 0, Double.POSITIVE_INFINITY, Instant.EPOCH))
                .hasMessageContaining("rateOrigin");
        assertThatThrownBy(() -> new LearnedPace("bad site\n", 1, 0, 0, Instant.EPOCH))
                .hasMessageContaining("invalid site \"bad?site?\"");
        assertThatThrownBy(() -> Pacing.builder().learned(List.of(
                new LearnedPace("X.example.test:25", 1, 0, 0, Instant.EPOCH),
                new LearnedPace("x.example.test:25", 2, 0, 0, Instant.EPOCH))).build())
                .hasMessage("learned pace: site x.example.test:25 is given twice");
        assertThat(new LearnedPace("MX.Example.TEST:25", 1, 0, 0, Instant.EPOCH).site()).isEqualTo("mx.example.test:25");
    }
}
