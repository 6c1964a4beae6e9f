package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.reactor.LearnedPace;
import io.reactivesmtp.reactor.Pacing;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import reactor.core.scheduler.Scheduler;

/**
 * What pacing keeps across clients ({@link LearnedPace}): the sites an earlier client learned about, each used once,
 * when the site is first asked for here, and what this client learned, for the next.
 */
final class PacingMemory {

    private final Pacing pacing;
    private final int ceiling;
    /** False when a configured RateLimit is the rate: a learned rate is then not applied. */
    private final boolean adaptsRate;
    /** Given by an earlier client, per site, until the site is first used here. */
    private final Map<String, LearnedPace> seeds = new ConcurrentHashMap<>();
    /**
     * With a configured RateLimit: the rate and its origin that an earlier client learned, per site in use here, given
     * back as they were, since this client's sites do not learn a rate. Without this, a run with a fixed rate would
     * hand the next one a rate of 0 for a site that had asked to slow its messages down.
     */
    private final Map<String, LearnedPace> heldRates = new ConcurrentHashMap<>();
    /** The wall clock: the scheduler's when one is given (virtual in tests). */
    private final Supplier<Instant> wall;

    PacingMemory(Pacing pacing, int ceiling, boolean adaptsRate, Scheduler given) {
        this.pacing = pacing;
        this.ceiling = ceiling;
        this.adaptsRate = adaptsRate;
        this.wall = given == null ? Instant::now : () -> Instant.ofEpochMilli(given.now(TimeUnit.MILLISECONDS));
        pacing.learned().forEach(l -> seeds.put(l.site(), l));
    }

    /**
     * @return a site's state: where an earlier client left it, if it learned about it (its concurrency only, when a
     *     configured RateLimit is the rate), else a new one
     */
    PacingSite newSite(String site, int initial, long now) {
        LearnedPace l = seeds.remove(site);
        if (l != null && !adaptsRate) {
            heldRates.put(site, l);
            l = new LearnedPace(l.site(), l.limit(), 0, l.rateOrigin(), l.at());
        }
        return l == null ? new PacingSite(site, initial, now)
                : PacingSite.learned(l, pacing.floor(), ceiling, pacing.minRate(), now);
    }

    /**
     * @param sites the sites held now
     * @param now nanos now
     * @return what they learned (with the rate they were given, when a configured RateLimit is the rate), and what
     *     was given about sites not used since; by site
     */
    List<LearnedPace> learned(Collection<PacingSite> sites, long now) {
        Instant wallNow = wall.get();
        Map<String, LearnedPace> all = new TreeMap<>(seeds);
        for (PacingSite s : sites) {
            synchronized (s) {
                LearnedPace l = s.learned(now, wallNow);
                if (l != null) {
                    LearnedPace held = heldRates.get(l.site());
                    if (held != null) {
                        l = new LearnedPace(l.site(), l.limit(), held.rate(), held.rateOrigin(), l.at());
                    }
                    all.put(l.site(), l);
                }
            }
        }
        return List.copyOf(all.values());
    }
}
