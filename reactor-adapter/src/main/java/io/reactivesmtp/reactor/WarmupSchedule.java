package io.reactivesmtp.reactor;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * How many recipients a site may be sent on a given day while a new sending address or domain warms up its
 * reputation there: providers distrust a sudden volume from a sender they do not know. Part of {@link Warmup};
 * {@link #ramp} is the usual schedule, a lambda any other (per site, from a table, ...).
 *
 * <pre>{@code
 * // 1,000 recipients per site on the first day, 1.5 times more each day, at most 500,000 a day.
 * WarmupSchedule schedule = WarmupSchedule.ramp(LocalDate.of(2026, 12, 1), 1_000, 1.5, 500_000);
 * }</pre>
 */
@FunctionalInterface
public interface WarmupSchedule {

    /**
     * @param site a pacing site: a provider suffix such as {@code google.com} ({@link Pacing#providerSuffixes()}),
     *     else the destination's {@code host:port}
     * @param day the day (in the {@link Warmup#clock() clock}'s time zone)
     * @return the most recipients the site may be sent that day; {@link Long#MAX_VALUE} for no limit
     */
    long dailyLimit(String site, LocalDate day);

    /**
     * A ramp for every site: {@code perDayAtStart} on {@code firstDay} (and any day before it), multiplied by
     * {@code factor} every day after, never above {@code ceiling}.
     *
     * @param firstDay the first day of the warm-up
     * @param perDayAtStart recipients per site on the first day, at least 1
     * @param factor the growth per day, at least 1 (1 keeps the volume flat)
     * @param ceiling the most per day, at least {@code perDayAtStart}
     * @return the schedule
     * @throws IllegalArgumentException naming a bad value
     */
    static WarmupSchedule ramp(LocalDate firstDay, long perDayAtStart, double factor, long ceiling) {
        Objects.requireNonNull(firstDay, "firstDay");
        if (perDayAtStart < 1) {
            throw new IllegalArgumentException("warm-up ramp: perDayAtStart must be at least 1, not " + perDayAtStart);
        }
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("warm-up ramp: factor must be a number of at least 1, not " + factor);
        }
        if (ceiling < perDayAtStart) {
            throw new IllegalArgumentException("warm-up ramp: ceiling " + ceiling + " is below perDayAtStart "
                    + perDayAtStart);
        }
        return (site, day) -> {
            long days = Math.max(0, ChronoUnit.DAYS.between(firstDay, day));
            double limit = perDayAtStart * Math.pow(factor, days);
            return limit >= ceiling ? ceiling : (long) limit;
        };
    }
}
