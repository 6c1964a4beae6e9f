package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.reactor.LearnedPace;
import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Adaptive pacing, on by default: per site (a destination host, or every host under one provider suffix such as
 * {@code google.com}) a concurrency limit and, once concurrency alone did not help, a rate, changed by additive
 * increase / multiplicative decrease when the site asks the client to slow down (a 421, a 4.7.x status, a refused
 * connection, a timeout) and after quiet periods without such a signal (see {@link PacingSite} for the arithmetic).
 *
 * <p>Transactions take a permit before a session; waiting never blocks a thread (the rate's waits run on the
 * scheduler's timer). A site with room and no rate grants at subscription, with no sink, timer or flatMap per
 * message. A permit granted before the rate was set or lowered takes its turn under it once its session is ready
 * ({@link Permit#lateTurn()}). Every change is told to the {@link Listener} with its reason. Time comes from
 * {@link Pacing#scheduler()} (virtual in tests), else {@link System#nanoTime()}. Sites idle for ten quiet periods,
 * with no rate limit, are forgotten (checked at most once per quiet period).
 */
public final class AdaptivePacing {

    /** Told about every change of a site's limits: from and to, and why. */
    public interface Listener {
        /** A concurrency limit changed. */
        void limitChanged(String site, int from, int to, String reason);
        /** A rate changed, in transactions per second (0 for no limit). */
        void rateChanged(String site, double from, double to, String reason);
    }

    private final Pacing pacing;
    private final boolean adaptsRate;
    private final int ceiling;
    private final int initial;
    private final long quietNanos;
    private final LongSupplier nanos;
    private final Scheduler timer;
    private final Listener listener;
    private final Map<String, PacingSite> sites = new ConcurrentHashMap<>();
    private final PacingMemory memory;
    private volatile long lastSweep;
    private volatile PacingSite.SiteOf lastSite;

    /**
     * @param pacing the settings (enabled)
     * @param ceiling the highest concurrency limit (transactions at once per site); at least the floor
     * @param adaptsRate false when a configured RateLimit is the rate: a throttle in a transaction then changes nothing
     *     here (the RateLimit halves itself)
     * @param listener told about changes
     */
    public AdaptivePacing(Pacing pacing, int ceiling, boolean adaptsRate, Listener listener) {
        this.adaptsRate = adaptsRate;
        this.pacing = pacing;
        this.ceiling = Math.max(pacing.floor(), ceiling);
        this.initial = Math.min(this.ceiling, pacing.initial());
        this.quietNanos = pacing.quietPeriod().toNanos();
        Scheduler given = pacing.scheduler();
        // A given scheduler is also the clock (as for RateLimit), so a VirtualTimeScheduler drives both.
        this.nanos = given == null ? System::nanoTime : () -> given.now(TimeUnit.NANOSECONDS);
        this.timer = given == null ? Schedulers.parallel() : given;
        this.memory = new PacingMemory(pacing, this.ceiling, adaptsRate, given);
        this.listener = listener;
        this.lastSweep = nanos.getAsLong();
    }

    /**
     * @param options the client's options
     * @param listener the user's listener
     * @return the client's pacing, or null when {@link Pacing#OFF}
     */
    public static AdaptivePacing create(SmtpClientOptions options, SafeListener listener) {
        if (!options.pacing().enabled()) {
            return null;
        }
        // A configured RateLimit is the rate, and slows down by itself: pacing then adapts concurrency only. The
        // ceiling counts transactions: a connection carrying several messages has two at once (one awaiting its
        // final reply, the next behind its end of data); with one it would lose that pipelining (C=1: 2.5x slower).
        int perConnection = options.pool().maxMessagesPerConnection() > 1 ? 2 : 1;
        int ceiling = (int) Math.min(Integer.MAX_VALUE, (long) options.pool().maxConnectionsPerDestination() * perConnection);
        return new AdaptivePacing(options.pacing(), ceiling,
                options.rateLimit().isEmpty(), new Listener() {
            @Override
            public void limitChanged(String site, int from, int to, String reason) {
                listener.fire(l -> l.pacingChanged(site, from, to, reason));
            }

            @Override
            public void rateChanged(String site, double from, double to, String reason) {
                listener.fire(l -> l.pacingRateChanged(site, from, to, reason));
            }
        });
    }

    /** @return the site of a destination: the provider suffix its host falls under, or {@code host:port} */
    public String site(String host, int port) {
        // One entry: a relay, or a run of messages to one domain, asks for the same site message after message.
        PacingSite.SiteOf last = lastSite;
        if (last == null || !last.isFor(host, port)) {
            last = new PacingSite.SiteOf(host, port, PacingSite.siteOf(pacing.providerSuffixes(), host, port));
            lastSite = last;
        }
        return last.site();
    }

    /**
     * @param site a site
     * @param maxWait how long a send may wait for a place (real time; the site's one timer, {@link PacingExpiry})
     * @param timedOut the error of a send that waited that long
     * @return a permit, at once when the site is below its limit (and rate), else when one is released; cancelling
     *     the wait gives nothing back twice
     */
    public Mono<Permit> acquire(String site, Duration maxWait, Supplier<? extends Throwable> timedOut) {
        // A cancel before the request gives the permit back.
        return withPermit(site, maxWait, timedOut, granted -> new Mono<Permit>() {
            @Override
            public void subscribe(CoreSubscriber<? super Permit> actual) {
                actual.onSubscribe(new Granted<>(actual, granted, Permit::release));
            }
        });
    }

    /**
     * {@link #acquire} and then {@code then} with the permit, in one step: no flatMap per message when the site has
     * room. {@code then}'s Mono owns the permit: it must release it on its error and cancel.
     *
     * @param site a site
     * @param maxWait how long a send may wait for a place (real time)
     * @param timedOut the error of a send that waited that long
     * @param then what runs under the permit
     * @param <T> its value type
     * @return {@code then}'s Mono, subscribed once a permit is held
     */
    public <T> Mono<T> withPermit(String site, Duration maxWait, Supplier<? extends Throwable> timedOut,
                                  Function<Permit, Mono<T>> then) {
        return new Paced<>(site, maxWait, timedOut, then);
    }

    /**
     * Takes a place when subscribed: a known site with room and no rate ({@link #tryAcquire}, the common case) hands
     * its permit straight to {@code then}, with no sink, waiter, timer or flatMap per message; else {@link #waitFor}.
     */
    private final class Paced<T> extends Mono<T> {
        private final String site;
        private final Duration maxWait;
        private final Supplier<? extends Throwable> timedOut;
        private final Function<Permit, Mono<T>> then;

        Paced(String site, Duration maxWait, Supplier<? extends Throwable> timedOut, Function<Permit, Mono<T>> then) {
            this.site = site;
            this.maxWait = maxWait;
            this.timedOut = timedOut;
            this.then = then;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            Permit granted = tryAcquire(site);
            if (granted == null) {
                waitFor(site, maxWait, timedOut).flatMap(then).subscribe(actual);
                return;
            }
            Mono<T> next;
            try {
                next = Objects.requireNonNull(then.apply(granted), "the Mono under a pacing permit");
            } catch (Throwable e) {
                granted.release();
                Operators.error(actual, Operators.onOperatorError(e, actual.currentContext()));
                return;
            }
            next.subscribe(actual);
        }
    }

    /** @return a permit of a known site with room and no rate, or null ({@link #withPermit} waits for one) */
    public Permit tryAcquire(String site) {
        sweep(); // first: a site forgotten now starts afresh on the path that creates it
        PacingSite s = sites.get(site);
        if (s == null) {
            return null;
        }
        synchronized (s) {
            if (!s.forgotten && s.rate() <= 0 && s.tryTake(nanos.getAsLong())) {
                return new Permit(s, s.lastGranted(), 0);
            }
        }
        return null;
    }

    /** The path of a send that may wait: for a place (bounded by the site's timer) or for its turn under a rate. */
    private Mono<Permit> waitFor(String site, Duration maxWait, Supplier<? extends Throwable> timedOut) {
        Mono<Permit> permit = Mono.create(sink -> {
            PacingWaiter w = new PacingWaiter(sink);
            for (int attempt = 0; attempt < 3; attempt++) {
                PacingSite s = sites.computeIfAbsent(site, n -> memory.newSite(n, initial, nanos.getAsLong()));
                Permit granted = null;
                boolean timer = false;
                synchronized (s) {
                    if (s.forgotten) {
                        continue; // swept meanwhile: take the fresh one
                    }
                    w.site = s;
                    long now = nanos.getAsLong();
                    if (s.tryTake(now)) {
                        granted = new Permit(s, s.lastGranted(), s.reserveStart(now));
                        w.granted = granted;
                    } else {
                        w.deadline = System.nanoTime() + maxWait.toNanos();
                        w.timedOut = timedOut;
                        s.waiters.add(w);
                        timer = s.expiry.queued(w);
                    }
                }
                // Registered once the site is known; a cancel that came earlier runs it at once.
                sink.onCancel(w::cancel);
                if (timer) {
                    PacingExpiry.schedule(s, w.deadline);
                }
                if (granted != null) {
                    sink.success(granted);
                }
                sweep();
                return;
            }
            sink.error(new IllegalStateException("pacing state of " + site + " kept being forgotten"));
        });
        return permit.flatMap(p -> p.delayNanos == 0 ? Mono.just(p)
                : Mono.delay(Duration.ofNanos(p.delayNanos), timer).thenReturn(p).doOnCancel(p::release));
    }

    /**
     * The site asked the client to slow down.
     *
     * @param site the site
     * @param aboutRate true for a reply in a transaction (about the pace of messages: the rate slows down), false
     *     for a signal about connections (a refused greeting or connection, a timeout: concurrency halves)
     * @param reason the signal, e.g. {@code 421 4.7.0 ... at greeting}
     */
    public void throttled(String site, boolean aboutRate, String reason) {
        PacingSite s = sites.get(site);
        if (s == null || aboutRate && !adaptsRate) {
            return; // forgotten while the transaction ran: the next one starts afresh
        }
        List<PacingSite.Change> changes;
        synchronized (s) {
            changes = s.throttled(nanos.getAsLong(), quietNanos, pacing.floor(), pacing.minRate(), aboutRate, reason);
        }
        tell(site, changes);
    }

    /**
     * A transaction went through.
     *
     * @param site the site
     */
    public void succeeded(String site) {
        PacingSite s = sites.get(site);
        if (s == null) {
            return;
        }
        List<PacingSite.Change> changes;
        synchronized (s) {
            changes = s.succeeded(nanos.getAsLong(), quietNanos, ceiling);
        }
        tell(site, changes);
        if (!changes.isEmpty()) {
            drain(s);
        }
    }

    private void tell(String site, List<PacingSite.Change> changes) {
        for (PacingSite.Change c : changes) {
            if (c.rate()) {
                listener.rateChanged(site, c.from(), c.to(), c.reason());
            } else {
                listener.limitChanged(site, (int) c.from(), (int) c.to(), c.reason());
            }
        }
    }

    /** @return the permits of the site held now (0 when it holds no state) */
    public int inUse(String site) {
        return read(site, 0, s -> s.inUse);
    }

    /** @return the site's current concurrency limit (the initial one when it holds no state) */
    public int limit(String site) {
        return read(site, initial, s -> s.limit);
    }

    /** @return the site's current rate in transactions per second, 0 for none */
    public double rate(String site) {
        return read(site, 0.0, PacingSite::rate);
    }

    private <T> T read(String site, T absent, Function<PacingSite, T> value) {
        PacingSite s = sites.get(site);
        if (s == null) {
            return absent;
        }
        synchronized (s) {
            return value.apply(s);
        }
    }

    /** @return what the sites that asked to slow down taught, and the given ones not used since ({@link LearnedPace}) */
    public List<LearnedPace> learned() {
        return memory.learned(sites.values(), nanos.getAsLong());
    }

    /** @return how many sites pacing holds state for */
    public int trackedSites() {
        return sites.size();
    }

    private void sweep() {
        long now = nanos.getAsLong();
        if (now - lastSweep < Math.max(quietNanos, 1_000_000_000L)) {
            return;
        }
        lastSweep = now;
        long before = now - 10 * Math.max(quietNanos, 1_000_000_000L);
        sites.values().removeIf(s -> {
            synchronized (s) {
                if (s.idleSince(before)) {
                    s.forgotten = true;
                    return true;
                }
                return false;
            }
        });
    }

    private void drain(PacingSite s) {
        for (int i = 0; i < 1_000_000; i++) { // bounded by the waiters; the bound only guards against a bug
            PacingWaiter next;
            Permit p;
            synchronized (s) {
                long now = nanos.getAsLong();
                if (s.waiters.isEmpty() || !s.tryTake(now)) {
                    return;
                }
                next = s.waiters.poll();
                p = new Permit(s, s.lastGranted(), s.reserveStart(now));
                next.granted = p;
            }
            next.sink.success(p);
        }
    }

    /**
     * Tells pacing how a transaction at a site ended (in a task of its own, not nested in the pool's hand-off): a
     * report with a 421 or 4.7.x, or a failure carrying a slow-down signal, slows the site down; any other report
     * lets it grow.
     *
     * @param site the site
     * @param report the report, or null when the transaction failed
     * @param error the failure, or null
     */
    public void observed(String site, SendReport report, Throwable error) {
        if (error != null) {
            slowDownIfAsked(error, site);
        } else if (RateLimiter.isThrottle(report)) {
            throttled(site, true, PacingSignals.throttleReply(report) + " in a transaction");
        } else {
            succeeded(site);
        }
    }

    /**
     * A transaction refused at its MAIL command with 421 or 4.7.x had nothing sent: it goes again (under the limits
     * that refusal lowered), at most {@link Pacing#maxRequeues()} times.
     *
     * @param attempt makes one attempt
     * @return the attempts
     */
    public Mono<SendReport> requeued(Supplier<Mono<SendReport>> attempt) {
        return PacingSignals.requeued(attempt, pacing.maxRequeues(), 0);
    }

    /**
     * @param site the site
     * @param e a failure of a connect or a transaction there: slows the site down if it carries a signal
     */
    public void slowDownIfAsked(Throwable e, String site) {
        String reason = PacingSignals.slowDownSignal(e);
        if (reason != null) {
            // Only a reply in a transaction may be about the rate; a refused or timed-out connection is not.
            throttled(site, reason.endsWith(" in a transaction"), reason);
        }
    }

    /** One transaction's place at a site; {@link #release()} gives it back (once). */
    public final class Permit {
        private final PacingSite site;
        final long delayNanos;
        private final long seq;
        private boolean released;
        Permit(PacingSite site, long seq, long delayNanos) {
            this.seq = seq;
            this.site = site;
            this.delayNanos = delayNanos;
        }

        /** @return the site it is a place at */
        public String site() {
            return site.name;
        }

        /** @return null to start the transaction now, else the wait for its turn ({@link PacingSite#lateStart}) */
        public Mono<Long> lateTurn() {
            long wait = site.lateStart(seq, nanos.getAsLong());
            return wait == 0 ? null : Mono.delay(Duration.ofNanos(wait), timer);
        }

        /** Gives the place back; later calls do nothing. */
        public void release() {
            synchronized (site) {
                if (released) {
                    return;
                }
                released = true;
                site.released(seq);
                site.lastUse = nanos.getAsLong();
                if (site.waiters.isEmpty()) {
                    return;
                }
            }
            drain(site);
        }
    }
}
