package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.reactor.LearnedPace;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;

/**
 * The pacing state of one site and its arithmetic: a concurrency limit and a rate (0: none), both changed by
 * additive increase / multiplicative decrease. Every method is called holding this object's lock; each returns the
 * changes it made, told to the listener by {@link AdaptivePacing} outside the lock.
 *
 * <p>Decrease: a signal about connections (a 421 greeting, a refused connection, a timeout) halves the concurrency
 * limit, down to the floor; a 421 or 4.7.x in a transaction, about the pace of messages, sets a rate (half the
 * pace of the last moments, see {@link #countStart}) or halves it, down to the minimum rate. Increase, after a quiet period
 * without a signal: the rate first (by a tenth of where the last decrease put it, per second, past the pace it was
 * first set from, and lifted at {@link #LIFT} times that pace), then concurrency: by one per round of as many transactions as the limit, only when
 * the limit was reached in that round and every permit held at the last change came back (one step per round trip,
 * so a connection still being set up is answered before the next step), and, once the site complained, at most once
 * per quiet period: probing above a server's connection limit costs a refused connection per probe.
 *
 * <p>Slow start: a site that never sent a signal, once it has taken {@link #PROVEN} transactions at once (one round
 * at that limit went through), doubles its limit per round instead: servers that limit connections per client mostly
 * do so below that (4 or 5 is common), where growth stays one at a time and costs at most one refused connection;
 * above it, a site that never pushed back goes from 8 to 64 in three rounds instead of 56. The first signal ends
 * slow start for as long as the site is remembered (the increase after it is additive, as above). So does a doubling
 * that did not make the site faster: a round at the doubled limit that went through fewer than {@link #GAIN} times
 * as many transactions per second as the round before it, twice (the first round at a doubled limit also sets up
 * its new connections). The site was already as fast as it gets (its server or
 * this machine is the bottleneck), and more transactions at once only wait in its queue: a server that limits the
 * pace of messages refuses every one of them queued when its budget runs out (run-pacing.sh's 500 msg/s server
 * refused 7 to 11 MAILs at once at a limit of 64, 1 or 2 at 8 or 16).
 */
final class PacingSite {

    /** One change, to be told to the listener. */
    record Change(boolean rate, double from, double to, String reason) {
    }

    /**
     * Halvings a quiet period allows at most: signals closer together than a fifth of it (one second by default) are
     * one overload, such as many connections refused at once.
     */
    static final int DECREASES_PER_QUIET_PERIOD = 5;
    /** The limit a site that never sent a signal must have taken before its limit doubles per round. */
    static final int PROVEN = 8;
    /** What a doubling in slow start must gain in transactions per second to go on doubling; see the class doc. */
    static final double GAIN = 1.25;
    private static final long SECOND = 1_000_000_000L;

    final String name;
    final ArrayDeque<PacingWaiter> waiters = new ArrayDeque<>();
    /** The timer that ends the waits past their deadline. */
    final PacingExpiry expiry = new PacingExpiry();
    int limit;
    int inUse;
    /** Set when the site was dropped from the map: an acquire that found it takes a fresh one. */
    boolean forgotten;
    /** Nanos of the last acquire or release, for forgetting idle sites. */
    long lastUse;

    private int successes;
    /** Permits granted so far; the number of the last one. */
    private long granted;
    /** The last permit granted before the limit last changed. */
    private long barrier;
    /**
     * Permits granted before the limit last changed and not yet given back. Growth waits for them: a permit still
     * held may be a connection still being set up, whose answer (perhaps a refusal) is not in yet.
     */
    private int heldAtChange;
    /** The most permits held at once since the limit last changed. */
    private int peak;
    /** Nanos of the last change of the limit: where the round measured for slow start began. */
    private long changedAt;
    /** Transactions per second of the last round that led to a doubling (0: none yet). */
    private double roundRate;
    /** The limit of that round. */
    private int roundLimit;
    /** Slow start ended by a doubling that gained less than {@link #GAIN}. */
    private boolean flat;
    /** The last round, at a doubled limit, gained less than {@link #GAIN}: one more round at it decides. */
    private boolean doubted;
    /** Transactions per second of that round. */
    private double doubtedRate;
    private boolean signalled;
    private long lastIncrease;
    private long lastSignal;
    private boolean decreased;
    private long lastDecrease;
    /** Transactions per second; 0 for no rate limit. */
    private double rate;
    /**
     * The pace seen when the rate was first set after being unlimited: where the server complained. The rate grows
     * past it (probing, as additive increase does) and is lifted only at {@link #LIFT} times it: lifted at the origin
     * itself, the client went back at once to the unlimited pace that had been refused, and the server refused a
     * burst again (run-pacing.sh's 500 msg/s server: 11 MAILs refused in the same moment, 16 s into the run).
     */
    static final double LIFT = 4;
    /** See {@link #LIFT}. */
    private double rateOrigin;
    private long lastRateIncrease;
    /** The last permit granted before the rate was last set or lowered; see {@link #lateStart}. */
    private long rateBarrier;
    /** What the rate grows by per second once quiet: a tenth of where the last decrease put it. */
    private double rateStep;
    /** The next free start under the rate. */
    private long nextStart;
    private long windowStart;
    private int windowStarts;
    /** Starts that close a pace window after a tenth of a second; see {@link #countStart}. */
    static final int WINDOW_STARTS = 20;
    private double lastWindowRate;

    /** When the site last asked to slow down, as learned by an earlier client; null once it signals here. */
    private Instant learnedAt;

    PacingSite(String name, int limit, long now) {
        this.name = name;
        this.limit = limit;
        this.changedAt = now;
        this.windowStart = now;
        this.lastUse = now;
    }

    /**
     * A site as an earlier client left it: its limit (within this client's floor and ceiling) and rate in force from
     * the first transaction, slow start over (the site complained before), growth after a quiet period from now.
     */
    static PacingSite learned(LearnedPace l, int floor, int ceiling, double minRate, long now) {
        PacingSite s = new PacingSite(l.site(), Math.max(floor, Math.min(ceiling, l.limit())), now);
        s.signalled = true;
        s.lastSignal = now;
        s.learnedAt = l.at();
        if (l.rate() > 0) {
            s.rate = Math.max(minRate, l.rate());
            s.rateOrigin = Math.max(l.rateOrigin(), minRate * 2);
            s.rateStep = Math.max(minRate, s.rate / 10);
            s.lastRateIncrease = now;
            s.nextStart = now;
        } else {
            s.rateOrigin = l.rateOrigin();
        }
        return s;
    }

    /**
     * @param now nanos now
     * @param wallNow the wall clock now
     * @return what this site taught, for {@link io.reactivesmtp.reactor.SmtpClient#learnedPacing()}; null when it never
     *     asked to slow down (nothing to keep: a new site starts the same)
     */
    LearnedPace learned(long now, Instant wallNow) {
        if (!signalled) {
            return null;
        }
        Instant at = learnedAt != null ? learnedAt : wallNow.minusNanos(Math.max(0, now - lastSignal));
        return new LearnedPace(name, limit, rate, rateOrigin, at);
    }

    /** @return whether a permit may be granted now; if so, it is counted ({@link #lastGranted()} is its number) */
    boolean tryTake(long now) {
        if (inUse >= limit) {
            return false;
        }
        inUse++;
        granted++;
        peak = Math.max(peak, inUse);
        lastUse = now;
        countStart(now);
        return true;
    }

    /** @return the number of the permit just granted */
    long lastGranted() {
        return granted;
    }

    /** @param seq the number of a permit given back */
    void released(long seq) {
        inUse--;
        if (seq <= barrier) {
            heldAtChange--;
        }
    }

    /** The limit changed: the permits held now must all come back before it grows again (one step per round trip). */
    private void changed(long now) {
        changedAt = now;
        barrier = granted;
        heldAtChange = inUse;
        successes = 0;
        peak = inUse;
    }

    /**
     * Counts a start in the pace window: one that closes after a second, or after a tenth of one with at least
     * {@link #WINDOW_STARTS} starts, so that the pace a first rate is set from is that of the last moments. With
     * one-second windows only, a site ramping up (a cold start, slow start's rounds) was measured over its slow
     * beginning: against run-pacing.sh's 500 msg/s server a first rate of 95/s was set, and such runs took 27 to 28 s
     * instead of 14 while the rate climbed back.
     */
    private void countStart(long now) {
        long open = now - windowStart;
        if (open >= SECOND || open >= SECOND / 10 && windowStarts >= WINDOW_STARTS) {
            lastWindowRate = windowStarts * (double) SECOND / (now - windowStart);
            windowStart = now;
            windowStarts = 0;
        }
        windowStarts++;
    }

    /** @return nanos the transaction just granted must wait under the rate (0 without one), its slot reserved */
    long reserveStart(long now) {
        if (rate <= 0) {
            return 0;
        }
        long slot = Math.max(now, nextStart);
        nextStart = slot + (long) (SECOND / rate);
        return slot - now;
    }

    /**
     * A permit's transaction is about to start, its session ready. A permit granted before the rate was last set or
     * lowered was granted at the old pace; if its transaction has not started yet (it waited for a connection to be
     * opened meanwhile), it takes its turn under the new rate now. Without this, the connections opened at a
     * doubling of the limit all sent their MAIL together once set up, after the server had asked to slow down:
     * run-pacing.sh's 500 msg/s server refused 10 of them at once, 36 ms after the first refusal.
     *
     * @param seq the permit's number
     * @return nanos to wait before it starts (0: now), its slot reserved (this method takes the site's lock itself)
     */
    synchronized long lateStart(long seq, long now) {
        return rate > 0 && seq <= rateBarrier ? reserveStart(now) : 0;
    }

    /**
     * The site asked to slow down. A signal about connections (a refused greeting or connection, a timeout) halves
     * the concurrency limit; a 421 or 4.7.x in a transaction, about the pace of messages, sets a rate (half the
     * pace of the last moments) or halves it.
     */
    List<Change> throttled(long now, long quietNanos, int floor, double minRate, boolean aboutRate, String reason) {
        boolean recent = decreased && now - lastDecrease < quietNanos / DECREASES_PER_QUIET_PERIOD;
        lastSignal = now;
        signalled = true;
        learnedAt = null;
        doubted = false; // slow start is over: no round at a doubled limit is left to decide
        successes = 0;
        peak = inUse;
        if (recent) {
            return List.of(); // the same overload: slowed down once already
        }
        decreased = true;
        lastDecrease = now;
        if (!aboutRate) {
            int from = limit;
            limit = Math.max(floor, limit / 2);
            changed(now);
            return limit == from ? List.of() : List.of(new Change(false, from, limit, "decrease: " + reason));
        }
        double from = rate;
        if (rate <= 0) {
            // At least a tenth of a second, so that a signal right at the start does not read as a trickle.
            double seen = Math.max(lastWindowRate, windowStarts * (double) SECOND / Math.max(SECOND / 10,
                    now - windowStart));
            rate = Math.max(minRate, seen / 2);
            rateOrigin = Math.max(seen, minRate * 2);
        } else {
            rate = Math.max(minRate, rate / 2);
        }
        rateStep = Math.max(minRate, rate / 10);
        lastRateIncrease = now;
        rateBarrier = granted;
        return rate == from ? List.of() : List.of(new Change(true, from, rate, "decrease: " + reason));
    }

    /** A transaction went through: grow, if it is time to. */
    List<Change> succeeded(long now, long quietNanos, int ceiling) {
        successes++;
        lastUse = now;
        if (signalled && now - lastSignal < quietNanos) {
            return List.of();
        }
        if (rate > 0) {
            if (now - lastRateIncrease < SECOND) {
                return List.of();
            }
            double from = rate;
            rate = rate + rateStep >= LIFT * rateOrigin ? 0 : rate + rateStep;
            lastRateIncrease = now;
            successes = 0;
            return List.of(new Change(true, from, rate, rate == 0
                    ? "increase: no slow-down signal for " + quietNanos / 1_000_000 + " ms, rate limit lifted"
                    : "increase: no slow-down signal for " + quietNanos / 1_000_000 + " ms"));
        }
        if (limit >= ceiling || successes < limit || peak < limit || heldAtChange > 0
                || signalled && now - lastIncrease < quietNanos) {
            return List.of();
        }
        int from = limit;
        String flattened = signalled || flat || limit < PROVEN ? null : flattened(now);
        if (doubted && !flat) {
            changed(now); // measure one more round at this limit, its new connections set up by now
            return List.of();
        }
        boolean doubles = !signalled && !flat && limit >= PROVEN;
        limit = doubles ? (int) Math.min(ceiling, 2L * limit) : limit + 1;
        lastIncrease = now;
        changed(now);
        return List.of(new Change(false, from, limit, "increase: " + from + " transactions went through"
                + (signalled ? ", no slow-down signal for " + quietNanos / 1_000_000 + " ms"
                : flattened != null ? flattened : doubles ? ", no slow-down signal yet (doubled)" : "")));
    }

    /**
     * Slow start's round at this limit is over: measures it against the round before the last doubling. The first
     * round at a doubled limit includes setting up its new connections (several round trips, a TLS handshake), so
     * when it gained too little, one more round at the same limit decides ({@link #doubted}); the better of the two
     * counts.
     *
     * @return why slow start ends here (then {@link #flat} is set), or null to go on doubling (or to measure again,
     *     then {@link #doubted} is set)
     */
    private String flattened(long now) {
        if (now - changedAt <= 0) {
            return null; // no time passed (a virtual clock): nothing to measure
        }
        double rate = successes * (double) SECOND / (now - changedAt);
        if (roundRate > 0 && rate < GAIN * roundRate) {
            if (!doubted) {
                doubted = true;
                doubtedRate = rate;
                return null;
            }
            flat = true;
            return String.format(Locale.ROOT, ", slow start over: %.0f/s at %d at once (the better of two rounds), "
                    + "%.0f/s at %d", Math.max(rate, doubtedRate), limit, roundRate, roundLimit);
        }
        doubted = false;
        roundRate = rate;
        roundLimit = limit;
        return null;
    }

    double rate() {
        return rate;
    }

    /** @return whether nothing distinguishes this site from a new one but time: idle, nothing waiting, no rate */
    boolean idleSince(long before) {
        return inUse == 0 && waiters.isEmpty() && rate <= 0 && lastUse - before < 0
                && (!signalled || lastSignal - before < 0);
    }

    /** A destination and its site ({@link AdaptivePacing#site}'s one-entry cache). */
    record SiteOf(String host, int port, String site) {
        boolean isFor(String h, int p) {
            return port == p && host.equals(h);
        }
    }

    /**
     * @param providerSuffixes {@code Pacing.providerSuffixes()}
     * @param host a destination host
     * @param port its port
     * @return its site: the provider suffix it falls under, or the destination itself ({@code host:port})
     */
    static String siteOf(List<String> providerSuffixes, String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        String suffix = providerSuffix(providerSuffixes, h);
        return suffix != null ? suffix : h + ":" + port;
    }

    /**
     * @param providerSuffixes {@code Pacing.providerSuffixes()}
     * @param host a destination host, lower case
     * @return the provider suffix it falls under (its site), or null
     */
    static String providerSuffix(List<String> providerSuffixes, String host) {
        for (String suffix : providerSuffixes) {
            if (host.endsWith(suffix)
                    && (host.length() == suffix.length() || host.charAt(host.length() - suffix.length() - 1) == '.')) {
                return suffix;
            }
        }
        return null;
    }
}
