package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.reactor.internal.AdaptivePacing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Adaptive pacing's arithmetic on a virtual clock: slow start, halving per overload (not per refusal), the rate once
 * concurrency is at its floor, recovery after quiet periods, provider sites, waiters and cancels, bad values.
 */
class AdaptivePacingTest {

    private static final Duration QUIET = Duration.ofSeconds(5);

    private final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    private final List<String> events = new ArrayList<>();
    private final AdaptivePacing pacing = new AdaptivePacing(Pacing.builder().quietPeriod(QUIET).scheduler(vts)
            .providerSuffixes(List.of("google.com")).build(), 20, true, recordingInto(events));

    /**
     * Sends waiting at a full site end in their own error once their wait (real time) is over, one that came later
     * with a shorter wait before the others, while a send granted the place meanwhile goes on: one timer per site,
     * set for its earliest deadline, serves them all.
     */
    @Test
    void waitsPastTheirDeadlineEndInTheirOwnErrorAndTheRestGoOn() throws Exception {
        AdaptivePacing one = new AdaptivePacing(Pacing.builder().initial(1).build(), 1, true, recordingInto(events));
        String site = "wait.test:25";
        List<AdaptivePacing.Permit> held = new ArrayList<>();
        one.acquire(site, Duration.ofMinutes(1), IllegalStateException::new).subscribe(held::add);
        assertThat(held).as("the one place").hasSize(1);

        CompletableFuture<AdaptivePacing.Permit> patient = one.acquire(site, Duration.ofMinutes(1),
                () -> new IllegalStateException("patient")).toFuture();
        CompletableFuture<AdaptivePacing.Permit> late = one.acquire(site, Duration.ofSeconds(3),
                () -> new IllegalStateException("late")).toFuture();
        List<CompletableFuture<AdaptivePacing.Permit>> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int n = i;
            many.add(one.acquire(site, Duration.ofMillis(100), () -> new IllegalStateException("many " + n))
                    .toFuture());
        }

        for (int i = 0; i < 50; i++) {
            CompletableFuture<AdaptivePacing.Permit> f = many.get(i);
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasMessageContaining("many " + i + "");
        }
        assertThat(late).as("a longer wait, set earlier, is not ended by the shorter ones' timer").isNotDone();
        assertThatThrownBy(() -> late.get(10, TimeUnit.SECONDS)).hasMessageContaining("late");
        assertThat(patient).isNotDone();

        held.get(0).release(); // the place goes to the one still waiting
        assertThat(patient.get(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(one.inUse(site)).isEqualTo(1);
    }

    /** Runs {@code n} transactions as the limit allows, {@code step} of virtual time apart; every k-th throttled. */
    private void run(String site, int n, Duration step, int throttleEvery) {
        for (int i = 0; i < n; i++) {
            List<AdaptivePacing.Permit> held = new ArrayList<>();
            int limit = pacing.limit(site);
            for (int j = 0; j < limit; j++) { // fill the limit, so that a round counts
                pacing.acquire(site, java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(held::add);
            }
            // Under a rate the permits come spaced out: wait (in virtual time, bounded) for all of them.
            vts.advanceTimeBy(step);
            for (int k = 0; k < 1000 && held.size() < limit; k++) {
                vts.advanceTimeBy(step);
            }
            assertThat(held).as("permits granted").hasSize(limit);
            if (throttleEvery > 0 && i % throttleEvery == 0) {
                pacing.throttled(site, false, "421 4.7.0 too many connections at greeting");
            } else {
                held.forEach(p -> pacing.succeeded(site));
            }
            held.forEach(AdaptivePacing.Permit::release);
        }
    }

    @Test
    void growthThenOverloadHalvesOncePerOverloadAndRecoveryClimbsBackAfterTheQuietPeriod() {
        String site = "mx.example.test:25";
        run(site, 16, Duration.ofMillis(10), 0);
        assertThat(pacing.limit(site)).isEqualTo(20);
        assertThat(events).startsWith(site + " 4->5 increase: 4 transactions went through",
                site + " 5->6 increase: 5 transactions went through");

        // A third of the rounds refused at the greeting, for 60 virtual seconds: halved at most once a second.
        events.clear();
        run(site, 600, Duration.ofMillis(100), 3);
        String refusal = " decrease: 421 4.7.0 too many connections at greeting";
        assertThat(events).containsExactly(site + " 20->10" + refusal, site + " 10->5" + refusal,
                site + " 5->2" + refusal, site + " 2->1" + refusal);
        assertThat(pacing.rate(site)).as("refusals at the greeting are about connections").isZero();

        // Recovered: one per quiet period, from the end of the first one on.
        events.clear();
        vts.advanceTimeBy(QUIET);
        run(site, 10, Duration.ofMillis(100), 0);
        assertThat(pacing.limit(site)).isEqualTo(2);
        run(site, 19 * 50, Duration.ofMillis(100), 0);
        assertThat(pacing.limit(site)).isEqualTo(20);
        assertThat(events).hasSize(19).allMatch(e -> e.contains("increase"));
        assertThat(events).last().asString().isEqualTo(site
                + " 19->20 increase: 19 transactions went through, no slow-down signal for 5000 ms");
    }

    @Test
    void aSiteThatNeverPushesBackGrowsOneAtATimeToEightThenDoublesPerRoundToTheCeiling() {
        AdaptivePacing wide = new AdaptivePacing(Pacing.builder().quietPeriod(QUIET).scheduler(vts).build(), 100, true,
                recording());
        String site = "fast.example.test:25";
        for (int round = 0; round < 8; round++) {
            round(wide, site, 0);
        }
        // Rounds of 4, 5, 6, 7, then 8, 16, 32, 64: 142 transactions (one more per round: 12 after 8 rounds).
        assertThat(wide.limit(site)).as(events.toString()).isEqualTo(100);
        assertThat(events).containsExactly(site + " 4->5 increase: 4 transactions went through",
                site + " 5->6 increase: 5 transactions went through", site + " 6->7 increase: 6 transactions went through",
                site + " 7->8 increase: 7 transactions went through",
                site + " 8->16 increase: 8 transactions went through, no slow-down signal yet (doubled)",
                site + " 16->32 increase: 16 transactions went through, no slow-down signal yet (doubled)",
                site + " 32->64 increase: 32 transactions went through, no slow-down signal yet (doubled)",
                site + " 64->100 increase: 64 transactions went through, no slow-down signal yet (doubled)");
    }

    @Test
    void aSiteRefusingBeyondFiveConnectionsCostsOneRefusalAndSlowStartEndsWithIt() {
        AdaptivePacing wide = new AdaptivePacing(Pacing.builder().quietPeriod(QUIET).scheduler(vts).build(), 100, true,
                recording());
        String site = "five.example.test:25";
        int attempts = 0;
        int refused = 0;
        // Every transaction a connection (the worst case); the server takes 5 at once and refuses the rest. Rounds
        // 10 ms apart for 10 virtual seconds, so two quiet periods pass and the limit probes above 5 again.
        for (int round = 0; round < 1000; round++) {
            int limit = wide.limit(site);
            attempts += limit;
            refused += round(wide, site, 5);
        }
        // The first probe above 5 (the 6th connection) is the only refusal before a quiet period; then one per probe.
        assertThat(refused).as(events.toString()).isBetween(1, 3);
        assertThat(refused * 100L).as("refused of " + attempts).isLessThanOrEqualTo(attempts);
        assertThat(events).first().asString().isEqualTo(site + " 4->5 increase: 4 transactions went through");
        assertThat(events).noneMatch(e -> e.contains("doubled"));
        assertThat(wide.limit(site)).isLessThanOrEqualTo(6);
    }

    @Test
    void slowStartEndsWhenADoublingDoesNotMakeTheSiteFaster() {
        AdaptivePacing wide = new AdaptivePacing(Pacing.builder().quietPeriod(QUIET).scheduler(vts).build(), 100, true,
                recording());
        String site = "flat.example.test:25";
        // A server that goes through 1,000 transactions a second whatever the number at once: a round of n takes
        // n ms. Up to 8 rounds grow one at a time; the round at 8 is measured; two rounds at 16 gained nothing, so
        // growth goes on one at a time instead of doubling to 32 and 64.
        for (int round = 0; round < 12; round++) {
            round(wide, site, 0, Duration.ofMillis(wide.limit(site)));
        }
        assertThat(events).as(events.toString()).contains(
                site + " 8->16 increase: 8 transactions went through, no slow-down signal yet (doubled)",
                site + " 16->17 increase: 16 transactions went through, slow start over: 1000/s at 16 at once (the"
                        + " better of two rounds), 1000/s at 8");
        assertThat(wide.limit(site)).isEqualTo(22); // rounds at 4, 5, 6, 7, 8, 16, 16, then 17 to 21
        assertThat(events).filteredOn(e -> e.contains("doubled")).hasSize(1);
    }

    @Test
    void aSignalDuringTheRoundThatDecidesSlowStartLeavesAdditiveGrowthAfterTheQuietPeriod() {
        AdaptivePacing wide = new AdaptivePacing(Pacing.builder().quietPeriod(QUIET).scheduler(vts).build(), 100, true,
                recording());
        String site = "doubt.example.test:25";
        // Flat at 1,000/s: the first round at 16 gained nothing, so one more round at 16 is to decide...
        for (int round = 0; round < 6; round++) {
            round(wide, site, 0, Duration.ofMillis(wide.limit(site)));
        }
        assertThat(wide.limit(site)).as(events.toString()).isEqualTo(16);
        // ...but the site refuses a connection in it: halved, and slow start is over.
        round(wide, site, 10, Duration.ofMillis(16));
        assertThat(wide.limit(site)).isEqualTo(8);
        // After the quiet period it grows one at a time again.
        vts.advanceTimeBy(QUIET);
        round(wide, site, 0, Duration.ofMillis(8));
        assertThat(wide.limit(site)).as(events.toString()).isEqualTo(9);
    }

    @Test
    void aFirstRoundAtADoubledLimitSlowedByItsNewConnectionsDoesNotEndSlowStart() {
        AdaptivePacing wide = new AdaptivePacing(Pacing.builder().quietPeriod(QUIET).scheduler(vts).build(), 100, true,
                recording());
        String site = "remote.example.test:25";
        // 10 ms per round whatever its size (round trips), but the first round at each doubled limit takes 40 ms:
        // its new connections are set up first. Its second round shows the gain, and the limit doubles on.
        int doubledAt = 0;
        for (int round = 0; round < 12 && wide.limit(site) < 100; round++) {
            int limit = wide.limit(site);
            round(wide, site, 0, Duration.ofMillis(limit > 8 && limit != doubledAt ? 40 : 10));
            doubledAt = limit;
        }
        assertThat(wide.limit(site)).as(events.toString()).isEqualTo(100);
        assertThat(events).filteredOn(e -> e.contains("doubled")).hasSize(4);
        assertThat(events).noneMatch(e -> e.contains("slow start over"));
    }

    @Test
    void aPermitGrantedBeforeTheRateWasSetWaitsForItsTurnWhenItsTransactionStartsLater() {
        String site = "late.example.test:25";
        List<AdaptivePacing.Permit> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // the initial limit, at full pace: their connections still being set up
            pacing.acquire(site, Duration.ofMinutes(1), IllegalStateException::new).subscribe(held::add);
            vts.advanceTimeBy(Duration.ofMillis(10));
        }
        assertThat(held).hasSize(4);
        assertThat(held.get(0).lateTurn()).as("no rate yet: start now").isNull();
        pacing.throttled(site, true, "421 4.7.0 rate limit exceeded in a transaction");
        double rate = pacing.rate(site);
        assertThat(rate).isPositive();
        // Their sessions are ready now: each takes a turn under the new rate, one interval apart.
        List<Long> started = new ArrayList<>();
        long t0 = vts.now(java.util.concurrent.TimeUnit.MILLISECONDS);
        for (AdaptivePacing.Permit p : held.subList(1, 4)) {
            Mono<Long> turn = p.lateTurn();
            (turn == null ? Mono.just(0L) : turn).subscribe(x -> started.add(
                    vts.now(java.util.concurrent.TimeUnit.MILLISECONDS) - t0));
        }
        vts.advanceTimeBy(Duration.ofSeconds(1));
        long interval = Math.round(1000 / rate);
        assertThat(started).hasSize(3);
        assertThat(started.get(2) - started.get(0)).as(started + " at " + rate + "/s").isGreaterThanOrEqualTo(
                2 * interval - 1);
        held.forEach(AdaptivePacing.Permit::release);
        // A permit granted under the rate waited for its turn when granted: it starts at once.
        List<AdaptivePacing.Permit> later = new ArrayList<>();
        pacing.acquire(site, Duration.ofMinutes(1), IllegalStateException::new).subscribe(later::add);
        vts.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(later).hasSize(1);
        assertThat(later.get(0).lateTurn()).isNull();
        later.get(0).release();
    }

    /** Records changes as "site from->to reason" in {@link #events}. */
    private AdaptivePacing.Listener recording() {
        return recordingInto(events);
    }

    /**
     * @param events where each change goes, as "site from->to reason" (a rate: "site rate from->to reason", per
     *     second, rounded)
     * @return a listener recording there
     */
    static AdaptivePacing.Listener recordingInto(List<String> events) {
        return new AdaptivePacing.Listener() {
            @Override
            public void limitChanged(String site, int from, int to, String reason) {
                events.add(site + " " + from + "->" + to + " " + reason);
            }

            @Override
            public void rateChanged(String site, double from, double to, String reason) {
                events.add(site + " rate " + Math.round(from) + "->" + Math.round(to) + " " + reason);
            }
        };
    }

    /**
     * One round 10 ms of virtual time long: as many transactions at once as the limit allows, each its own
     * connection; beyond {@code accepts} (0: no bound) they are refused at the greeting, the rest go through.
     *
     * @return how many were refused
     */
    private int round(AdaptivePacing p, String site, int accepts) {
        return round(p, site, accepts, Duration.ofMillis(10));
    }

    /** {@link #round(AdaptivePacing, String, int)}, {@code length} of virtual time long. */
    private int round(AdaptivePacing p, String site, int accepts, Duration length) {
        List<AdaptivePacing.Permit> held = new ArrayList<>();
        int limit = p.limit(site);
        for (int j = 0; j < limit; j++) {
            p.acquire(site, Duration.ofMinutes(1), IllegalStateException::new).subscribe(held::add);
        }
        assertThat(held).as("permits granted").hasSize(limit);
        vts.advanceTimeBy(length);
        int refused = 0;
        for (int j = 0; j < held.size(); j++) {
            if (accepts > 0 && j >= accepts) {
                refused++;
                p.throttled(site, false, "421 4.7.0 too many connections at greeting");
            } else {
                p.succeeded(site);
            }
        }
        held.forEach(AdaptivePacing.Permit::release);
        return refused;
    }

    @Test
    void throttlesInTransactionsSetARateThatHalvesAndIsLiftedAfterRecovery() {
        String site = "slow.example.test:25";
        // 100 transactions in one second, one at a time: the first throttle sets the rate to half of that.
        for (int i = 0; i < 100; i++) {
            pacing.acquire(site, java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(AdaptivePacing.Permit::release);
            vts.advanceTimeBy(Duration.ofMillis(10));
        }
        int limit = pacing.limit(site);
        pacing.throttled(site, true, "451 4.7.1 rate exceeded in a transaction");
        assertThat(pacing.rate(site)).isBetween(40.0, 60.0);
        pacing.throttled(site, true, "451 4.7.1 rate exceeded in a transaction"); // the same overload
        assertThat(pacing.rate(site)).isBetween(40.0, 60.0);
        vts.advanceTimeBy(Duration.ofSeconds(1));
        pacing.throttled(site, true, "451 4.7.1 rate exceeded in a transaction");
        assertThat(pacing.rate(site)).isBetween(20.0, 30.0);
        assertThat(pacing.limit(site)).as("concurrency untouched").isEqualTo(limit);
        assertThat(events).anyMatch(e -> e.startsWith(site + " rate 0->") && e.endsWith("in a transaction"));
        events.clear();

        // Under the rate, permits are spaced: three at once take about two intervals.
        List<AdaptivePacing.Permit> granted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pacing.acquire(site, java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(p -> {
                granted.add(p);
                p.release();
            });
        }
        vts.advanceTimeBy(Duration.ofMillis(1));
        assertThat(granted).hasSizeLessThan(3);
        vts.advanceTimeBy(Duration.ofMillis(200));
        assertThat(granted).hasSize(3);

        // Recovery: from about 25/s by a tenth of that per second. Back at the pace first complained at (about
        // 100/s, reached in about 30 s) the rate stays: lifted there, the client would go straight back to the
        // unlimited pace the server refused. It grows on, and is lifted at four times that pace.
        vts.advanceTimeBy(QUIET);
        run(site, 40, Duration.ofSeconds(1), 0);
        assertThat(pacing.rate(site)).isGreaterThan(100.0).isLessThan(200.0);
        assertThat(events).allMatch(e -> e.contains("increase")).noneMatch(e -> e.endsWith("rate limit lifted"));
        run(site, 150, Duration.ofSeconds(1), 0);
        assertThat(pacing.rate(site)).isZero();
        assertThat(events).allMatch(e -> e.contains("increase")).anyMatch(e -> e.endsWith("rate limit lifted"));
    }

    @Test
    void providerHostsShareOneSiteAndOneOverloadHalvesOnce() {
        assertThat(pacing.site("alt1.gmail-smtp-in.l.google.com", 25)).isEqualTo("google.com");
        assertThat(pacing.site("GMAIL-SMTP-IN.L.GOOGLE.COM", 25)).isEqualTo("google.com");
        assertThat(pacing.site("google.com", 25)).isEqualTo("google.com");
        assertThat(pacing.site("mx.notgoogle.com", 25)).isEqualTo("mx.notgoogle.com:25");

        pacing.acquire("google.com", java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe();
        for (int i = 0; i < 5; i++) {
            pacing.throttled("google.com", false, "421 at greeting");
        }
        assertThat(pacing.limit("google.com")).isEqualTo(2);
        assertThat(events).containsExactly("google.com 4->2 decrease: 421 at greeting");
    }

    @Test
    void waitersGetPermitsAsTheyAreReleasedAndACancelledWaitTakesNone() {
        String site = "s:25";
        List<AdaptivePacing.Permit> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pacing.acquire(site, java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(held::add);
        }
        assertThat(held).hasSize(4);
        List<AdaptivePacing.Permit> later = new ArrayList<>();
        Disposable cancelled = pacing.acquire(site, java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(later::add);
        pacing.acquire(site, java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(later::add);
        assertThat(later).isEmpty();
        cancelled.dispose();
        held.get(0).release();
        held.get(0).release(); // idempotent: frees one place, not two
        assertThat(later).hasSize(1);
        pacing.acquire(site, java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(later::add);
        assertThat(later).hasSize(1);
    }

    @Test
    void aPermitTakenAtOnceGoesBackOnACancelBeforeItsRequestAndWithPermitRunsUnderItsPermit() {
        String site = "u:25";
        Duration wait = Duration.ofMinutes(1);
        // The first acquire makes the site; later ones with room take the permit when subscribed.
        pacing.acquire(site, wait, IllegalStateException::new).subscribe(AdaptivePacing.Permit::release);
        BaseSubscriber<AdaptivePacing.Permit> requestsNothing = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
            }
        };
        pacing.acquire(site, wait, IllegalStateException::new).subscribe(requestsNothing);
        assertThat(pacing.inUse(site)).isEqualTo(1);
        requestsNothing.dispose();
        assertThat(pacing.inUse(site)).as("cancelled before its request: given back").isZero();

        // withPermit: the Mono runs holding the permit; one that cannot be made gives the permit back and fails.
        List<AdaptivePacing.Permit> held = new ArrayList<>();
        List<Integer> inUseSeen = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pacing.withPermit(site, wait, IllegalStateException::new, p -> {
                held.add(p);
                return Mono.just(pacing.inUse(site));
            }).subscribe(inUseSeen::add);
        }
        assertThat(inUseSeen).as("the fifth waits: the limit is 4").containsExactly(1, 2, 3, 4);
        held.get(0).release();
        assertThat(inUseSeen).containsExactly(1, 2, 3, 4, 4);
        held.forEach(AdaptivePacing.Permit::release);
        List<Throwable> errors = new ArrayList<>();
        pacing.withPermit(site, wait, IllegalStateException::new, p -> {
            throw new IllegalArgumentException("no session for this permit");
        }).subscribe(v -> { }, errors::add);
        assertThat(errors).singleElement().satisfies(e -> assertThat(e).hasMessage("no session for this permit"));
        assertThat(pacing.inUse(site)).isZero();
    }

    @Test
    void aTransactionRefusedAtMailGoesAgainAtMostMaxRequeuesTimesAndOtherOutcomesPassOnce() {
        io.reactivesmtp.Envelope envelope = io.reactivesmtp.Envelope.of("a@example.com", "b@example.com");
        SmtpReply slowDown = SmtpReply.of(421, "4.7.0 slow down");
        SendReport refused = SendReport.builder().envelope(envelope).mailReply(slowDown)
                .recipient(RecipientResult.decided(envelope.recipients().get(0), slowDown, null)).build();
        SendReport delivered = SendReport.builder().envelope(envelope).mailReply(SmtpReply.of(250, "ok"))
                .recipient(RecipientResult.decided(envelope.recipients().get(0), SmtpReply.of(250, "ok"),
                        SmtpReply.of(250, "ok")))
                .dataReply(SmtpReply.of(250, "queued")).build();
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        AdaptivePacing twice = new AdaptivePacing(Pacing.builder().maxRequeues(2).scheduler(vts).build(), 20, true,
                recording());

        // Refused twice (as a report, then as a failure carrying it), delivered the third time.
        StepVerifier.create(twice.requeued(() -> Mono.defer(() -> switch (attempts.incrementAndGet()) {
            case 1 -> Mono.just(refused);
            case 2 -> Mono.error(new SmtpConnectionException("closed after 421", null, refused));
            default -> Mono.just(delivered);
        }))).expectNext(delivered).verifyComplete();
        assertThat(attempts).hasValue(3);

        // Refused every time: after two requeues the third refusal is the outcome.
        attempts.set(0);
        StepVerifier.create(twice.requeued(() -> Mono.fromSupplier(() -> {
            attempts.incrementAndGet();
            return refused;
        }))).expectNext(refused).verifyComplete();
        assertThat(attempts).hasValue(3);

        // Another failure, or an empty attempt, passes at once.
        attempts.set(0);
        StepVerifier.create(twice.requeued(() -> {
            attempts.incrementAndGet();
            return Mono.error(new IllegalStateException("boom"));
        })).verifyErrorMessage("boom");
        StepVerifier.create(twice.requeued(() -> {
            attempts.incrementAndGet();
            return Mono.empty();
        })).verifyComplete();
        assertThat(attempts).hasValue(2);

        // A cancel while an attempt runs cancels it and starts no other.
        attempts.set(0);
        java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
        twice.requeued(() -> {
            attempts.incrementAndGet();
            return Mono.<SendReport>never().doOnCancel(() -> cancelled.set(true));
        }).subscribe().dispose();
        assertThat(cancelled).isTrue();
        assertThat(attempts).hasValue(1);
    }

    @Test
    void aWaitLongerThanItsBoundFailsWithTheGivenErrorAndAGrantedPermitIsNeverFailedLater() throws Exception {
        String site = "t:25";
        java.time.Duration bound = java.time.Duration.ofMillis(100);
        List<AdaptivePacing.Permit> held = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < 4; i++) {
            pacing.acquire(site, bound, () -> new IllegalStateException("granted one timed out"))
                    .subscribe(held::add, errors::add);
        }
        java.util.concurrent.CompletableFuture<Throwable> waited = new java.util.concurrent.CompletableFuture<>();
        pacing.acquire(site, bound, () -> new IllegalStateException("no place within 100 ms"))
                .subscribe(p -> waited.complete(null), waited::complete);

        assertThat(waited.get(10, java.util.concurrent.TimeUnit.SECONDS)).hasMessage("no place within 100 ms");
        Thread.sleep(3 * bound.toMillis()); // the granted ones' timers were disposed: nothing fails them later
        assertThat(held).hasSize(4);
        assertThat(errors).isEmpty();
        // The timed-out waiter left the queue: a released place goes to the next acquire, not to it.
        held.get(0).release();
        List<AdaptivePacing.Permit> next = new ArrayList<>();
        pacing.acquire(site, bound, IllegalStateException::new).subscribe(next::add);
        assertThat(next).hasSize(1);
    }

    @Test
    void withAConfiguredRateLimitAThrottleInATransactionSetsNoRateOfPacingsOwn() {
        AdaptivePacing concurrencyOnly = new AdaptivePacing(Pacing.builder().scheduler(vts).build(), 20, false,
                new AdaptivePacing.Listener() {
                    @Override
                    public void limitChanged(String site, int from, int to, String reason) {
                        events.add(site + " " + from + "->" + to);
                    }

                    @Override
                    public void rateChanged(String site, double from, double to, String reason) {
                        events.add(site + " rate " + from + "->" + to);
                    }
                });
        concurrencyOnly.acquire("r:25", java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(AdaptivePacing.Permit::release);
        concurrencyOnly.throttled("r:25", true, "451 4.7.1 rate exceeded in a transaction");
        assertThat(concurrencyOnly.rate("r:25")).isZero();
        concurrencyOnly.throttled("r:25", false, "421 4.7.0 at greeting");
        assertThat(events).containsExactly("r:25 4->2");
    }

    @Test
    void idleSitesAreForgotten() {
        for (int i = 0; i < 100; i++) {
            pacing.acquire("d" + i + ".test:25", java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(AdaptivePacing.Permit::release);
        }
        assertThat(pacing.trackedSites()).isEqualTo(100);
        vts.advanceTimeBy(QUIET.multipliedBy(11));
        pacing.acquire("other.test:25", java.time.Duration.ofMinutes(1), IllegalStateException::new).subscribe(AdaptivePacing.Permit::release);
        assertThat(pacing.trackedSites()).isEqualTo(1);
    }

    @Test
    void badValuesAreRejectedNamingTheValue() {
        assertThatThrownBy(() -> Pacing.builder().floor(0).build()).hasMessageContaining("floor must be at least 1, not 0");
        assertThatThrownBy(() -> Pacing.builder().floor(5).initial(2).build())
                .hasMessageContaining("initial limit 2 is below the floor 5");
        assertThatThrownBy(() -> Pacing.builder().quietPeriod(Duration.ZERO).build())
                .hasMessageContaining("quiet period must be positive, not PT0S");
        assertThatThrownBy(() -> Pacing.builder().quietPeriod(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> Pacing.builder().providerSuffixes(List.of(".google.com")).build())
                .hasMessageContaining("invalid pacing provider suffix \".google.com\"");
        assertThatThrownBy(() -> Pacing.builder().providerSuffixes(List.of("goo gle.com")).build())
                .hasMessageContaining("\"goo?gle.com\"");
        assertThatThrownBy(() -> Pacing.builder().providerSuffixes(List.of("localhost")).build())
                .hasMessageContaining("\"localhost\"");
        assertThatThrownBy(() -> Pacing.builder().providerSuffixes(List.of("mx.example.com:25")).build())
                .hasMessageContaining("\"mx.example.com:25\"");
        assertThatThrownBy(() -> Pacing.builder().providerSuffixes(List.of("google..com")).build())
                .hasMessageContaining("\"google..com\"");
        assertThatThrownBy(() -> Pacing.builder().providerSuffixes(List.of("[127.0.0.1]")).build())
                .hasMessageContaining("\"[127.0.0.1]\"");
        assertThat(Pacing.builder().providerSuffixes(List.of("google.com", "xn--bcher-kva.example")).build()
                .providerSuffixes()).hasSize(2);
        assertThatThrownBy(() -> Pacing.builder().maxRequeues(-1).build()).hasMessageContaining("maxRequeues")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> Pacing.builder().minRate(0).build()).hasMessageContaining("minRate")
                .hasMessageContaining("0.0");
        assertThatThrownBy(() -> Pacing.builder().minRate(Double.NaN).build()).hasMessageContaining("NaN");
        assertThatThrownBy(() -> SmtpClientOptions.builder().pacing(null)).hasMessageContaining("pacing");
        assertThat(Pacing.DEFAULT.enabled()).isTrue();
        assertThat(Pacing.OFF.enabled()).isFalse();
        assertThat(Pacing.DEFAULT.mutate().initial(8).build().initial()).isEqualTo(8);
        assertThat(Pacing.builder().floor(8).build().initial()).as("a floor above the start is the start").isEqualTo(8);
        assertThat(Pacing.builder().floor(2).build().initial()).isEqualTo(Pacing.DEFAULT_INITIAL);
        assertThat(SmtpClientOptions.builder().relay("localhost", 25).build().pacing()).isEqualTo(Pacing.DEFAULT);
    }
}
