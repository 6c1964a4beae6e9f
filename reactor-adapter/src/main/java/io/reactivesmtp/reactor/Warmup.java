package io.reactivesmtp.reactor;

import java.time.Clock;
import java.util.Objects;

/**
 * A warm-up: a daily volume per site ({@link WarmupSchedule}) counted in a {@link WarmupStore}, set with
 * {@link Pacing.Builder#warmup(Warmup)}. Before each transaction the client counts its recipients for the
 * transaction's site and day; a transaction that would go beyond the day's volume is not sent and fails with a
 * {@link WarmupDeferredException} (transient: send it again tomorrow, e.g. with {@code bulk --retry-from}). A count
 * is given back when the transaction failed before the site answered its MAIL command. Sites are those of
 * {@link Pacing}: a provider suffix such as {@code google.com}, else {@code host:port}.
 *
 * <pre>{@code
 * Warmup warmup = Warmup.of(WarmupSchedule.ramp(LocalDate.of(2026, 12, 1), 1_000, 1.5, 500_000), myStore);
 * SmtpClientOptions.builder().mx(resolver).pacing(Pacing.builder().warmup(warmup).build()).build();
 * }</pre>
 *
 * @param schedule the daily volume per site
 * @param store where the counts are kept
 * @param clock says which day it is (its zone decides when a day starts)
 */
public record Warmup(WarmupSchedule schedule, WarmupStore store, Clock clock) {

    /** Checks the values. */
    public Warmup {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(clock, "clock");
    }

    /**
     * @param schedule the daily volume per site
     * @param store where the counts are kept
     * @return the warm-up, its days in UTC
     */
    public static Warmup of(WarmupSchedule schedule, WarmupStore store) {
        return new Warmup(schedule, store, Clock.systemUTC());
    }

    /** @param clock says which day it is @return a copy with that clock */
    public Warmup withClock(Clock clock) {
        return new Warmup(schedule, store, clock);
    }
}
