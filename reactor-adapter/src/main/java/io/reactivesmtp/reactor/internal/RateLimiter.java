package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.reactor.RateLimit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The token buckets of a {@link RateLimit}, one per destination key, with the adaptive halving on 421 / 4.7.x.
 * See {@link RateLimit} for the semantics.
 *
 * <p>Never blocks: a caller without a token gets a Mono that a timer on the scheduler completes. One plain lock
 * guards all buckets; critical sections are arithmetic and queue operations (and a sweep over idle buckets at
 * most once per second), safe on an event loop. Sinks are completed outside the lock.
 */
public final class RateLimiter {

    /** Rounding slack: a bucket refilled at exactly the computed instant may hold 0.9999999999 tokens. */
    private static final double EPSILON = 1e-6;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long SWEEP_INTERVAL_NANOS = NANOS_PER_SECOND;

    private final double configuredRate;
    private final double minRate;
    private final double burst;
    private final long coolDownNanos;
    private final RateLimit limit;
    private final LongSupplier clock;
    /** Guarded by {@code this}. */
    private final Map<Object, Bucket> buckets = new HashMap<>();
    /** Guarded by {@code this}: numbers grants, so a signal can tell whether it predates the last halving. */
    private long grants;
    /** Guarded by {@code this}. */
    private long lastSweep;

    /** @param limit the configuration */
    public RateLimiter(RateLimit limit) {
        this.limit = limit;
        this.configuredRate = limit.perSecond();
        this.minRate = limit.perSecond() * RateLimit.MIN_RATE_FRACTION;
        this.burst = limit.burst();
        this.coolDownNanos = limit.coolDown().toNanos();
        // A given scheduler is also the clock, so a VirtualTimeScheduler drives both; otherwise the monotonic
        // nanoTime, because a Scheduler's default now() is the wall clock, which may jump.
        this.clock = limit.scheduler().<LongSupplier>map(s -> () -> s.now(TimeUnit.NANOSECONDS))
                .orElse(System::nanoTime);
        this.lastSweep = clock.getAsLong();
    }

    private Scheduler scheduler() {
        // The default is looked up at use: a cached Schedulers.parallel() may have been shut down and recreated.
        return limit.scheduler().orElseGet(Schedulers::parallel);
    }

    /**
     * @param key the destination
     * @return a ticket once the destination's bucket gives a token; cancelling gives up the place in line
     */
    public Mono<Ticket> acquire(Object key) {
        return Mono.<Ticket>create(sink -> {
            Ticket granted = null;
            Waiter waiter = null;
            List<MonoSink<Ticket>> failed;
            synchronized (this) {
                long now = clock.getAsLong();
                sweep(now);
                Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(now));
                b.refill(now);
                if (b.queue.isEmpty() && b.tokens >= 1 - EPSILON) {
                    b.tokens -= 1;
                    granted = new Ticket(key, ++grants);
                    failed = List.of();
                } else {
                    waiter = new Waiter(sink);
                    b.queue.add(waiter);
                    failed = schedule(key, b, now);
                }
            }
            if (!failed.isEmpty()) {
                failed.forEach(RateLimiter::reject);
            } else if (granted != null) {
                sink.success(granted);
            } else {
                Waiter w = waiter;
                sink.onCancel(() -> cancel(key, w));
            }
        })
        // A token granted to a subscriber that was cancelled meanwhile goes back to the bucket.
        .doOnDiscard(Ticket.class, this::refund);
    }

    /**
     * The server behind the ticket's destination asked to slow down: halve its rate, unless a halving already
     * happened after this ticket was granted.
     *
     * @param ticket the ticket of the transaction that got the signal
     */
    public void throttled(Ticket ticket) {
        synchronized (this) {
            long now = clock.getAsLong();
            // A swept bucket is recreated: the halving must be remembered even for a destination idle meanwhile.
            Bucket b = buckets.computeIfAbsent(ticket.key, k -> new Bucket(now));
            b.refill(now);
            if (ticket.number <= b.decreasedAfterGrant) {
                return; // started before the last halving: the same overload, already answered
            }
            b.rate = Math.max(minRate, b.rate / 2);
            b.tokens = 0;
            b.decreasedAfterGrant = grants;
            b.coolDownUntil = now + coolDownNanos;
            // A waiter's timer computed at the old rate fires early and re-arms itself at the new rate.
        }
    }

    /** @return whether a reply asks the client to slow down: 421, or enhanced status 4.7.x */
    public static boolean isThrottle(SmtpReply reply) {
        // A 4.7.x only comes with a 4xx code (SmtpReply ignores an enhanced code of another class): a 250, the
        // common case, is answered without looking (and without an Optional per reply).
        return reply != null && (reply.code() == 421
                || reply.code() / 100 == 4 && reply.enhancedStatus().map(s -> s.startsWith("4.7.")).orElse(false));
    }

    /** @return whether any reply of the report asks to slow down */
    public static boolean isThrottle(SendReport report) {
        return throttleReply(report) != null;
    }

    /**
     * @param report a transaction's report, or null
     * @return its first reply that asks to slow down (MAIL, each recipient's RCPT and own reply, the data's), or null
     */
    public static SmtpReply throttleReply(SendReport report) {
        if (report == null) {
            return null;
        }
        SmtpReply mail = report.mailReply().orElse(null);
        if (isThrottle(mail)) {
            return mail;
        }
        for (RecipientResult r : report.recipients()) {
            SmtpReply rcpt = r.rcptReply().orElse(null);
            if (isThrottle(rcpt)) {
                return rcpt;
            }
            SmtpReply own = r.reply().orElse(null);
            if (isThrottle(own)) {
                return own;
            }
        }
        SmtpReply data = report.dataReply().orElse(null);
        return isThrottle(data) ? data : null;
    }

    /** @return whether a failure carries a reply that asks to slow down (a 421 greeting, a partial report's) */
    public static boolean isThrottle(Throwable error) {
        if (error instanceof SmtpSessionRejectedException && isThrottle(((SmtpSessionRejectedException) error).reply())) {
            return true;
        }
        return error instanceof SmtpException && isThrottle(((SmtpException) error).partialReport().orElse(null));
    }

    /** @return how many destinations the limiter holds state for (idle ones are forgotten) */
    public synchronized int trackedDestinations() {
        return buckets.size();
    }

    /**
     * @param key a destination
     * @return its current rate in transactions per second (the configured rate when it holds no state)
     */
    public synchronized double currentRate(Object key) {
        Bucket b = buckets.get(key);
        if (b == null) {
            return configuredRate;
        }
        b.refill(clock.getAsLong());
        return b.rate;
    }

    /**
     * Arms the bucket's timer for the instant its next token is due, unless armed already. Under the lock.
     *
     * @return the waiters to fail (outside the lock) when the scheduler refused the timer, else empty
     */
    private List<MonoSink<Ticket>> schedule(Object key, Bucket b, long now) {
        if (b.timer != null) {
            return List.of();
        }
        double missing = Math.max(0, 1 - b.tokens);
        double nanos = Math.ceil(missing * NANOS_PER_SECOND / b.rate);
        if (b.rate < configuredRate) {
            // The rate doubles at the end of the cool-down: look again then.
            nanos = Math.min(nanos, b.coolDownUntil - now);
        }
        // At least 1 ns: a VirtualTimeScheduler runs a task due "now" inline, inside this lock.
        long delay = (long) Math.max(1, Math.min(nanos, Long.MAX_VALUE / 4));
        try {
            b.timer = scheduler().schedule(() -> onTimer(key, b), delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // No scheduler to wait on (shut down): fail the waiters rather than hang them forever.
            b.timer = null;
            List<MonoSink<Ticket>> failed = new ArrayList<>();
            while (!b.queue.isEmpty()) {
                failed.add(b.queue.poll().sink);
            }
            return failed;
        }
        return List.of();
    }

    private void onTimer(Object key, Bucket b) {
        synchronized (this) {
            b.timer = null;
        }
        drain(key, b);
    }

    /** Grants tokens to waiters in order while the bucket has some, then re-arms the timer for the rest. */
    private void drain(Object key, Bucket b) {
        List<MonoSink<Ticket>> granted = new ArrayList<>();
        List<Ticket> tickets = new ArrayList<>();
        List<MonoSink<Ticket>> failed = List.of();
        synchronized (this) {
            if (buckets.get(key) != b) {
                return;
            }
            long now = clock.getAsLong();
            b.refill(now);
            while (!b.queue.isEmpty() && b.tokens >= 1 - EPSILON) {
                b.tokens -= 1;
                granted.add(b.queue.poll().sink);
                tickets.add(new Ticket(key, ++grants));
            }
            if (!b.queue.isEmpty()) {
                failed = schedule(key, b, now);
            }
        }
        for (int i = 0; i < granted.size(); i++) {
            granted.get(i).success(tickets.get(i));
        }
        failed.forEach(RateLimiter::reject);
    }

    private static void reject(MonoSink<Ticket> sink) {
        sink.error(new RejectedExecutionException("the rate limit's scheduler refused a timer (disposed?)"));
    }

    private void cancel(Object key, Waiter w) {
        synchronized (this) {
            Bucket b = buckets.get(key);
            if (b != null) {
                b.queue.remove(w);
            }
        }
    }

    private void refund(Ticket t) {
        Bucket b;
        synchronized (this) {
            b = buckets.get(t.key);
            if (b == null) {
                return;
            }
            b.tokens = Math.min(burst, b.tokens + 1);
        }
        drain(t.key, b);
    }

    /** Forgets buckets that hold nothing a fresh bucket would not. Under the lock, at most once per second. */
    private void sweep(long now) {
        if (now - lastSweep < SWEEP_INTERVAL_NANOS) {
            return;
        }
        lastSweep = now;
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            Bucket b = it.next();
            if (b.queue.isEmpty() && b.timer == null) {
                b.refill(now);
                if (b.tokens >= burst - EPSILON && b.rate >= configuredRate) {
                    it.remove();
                }
            }
        }
    }

    /** A token taken from a destination's bucket; hand it back in {@link #throttled} when the server objects. */
    public static final class Ticket {
        final Object key;
        final long number;

        Ticket(Object key, long number) {
            this.key = key;
            this.number = number;
        }

        /** @return the destination */
        public Object key() {
            return key;
        }
    }

    /** One destination's bucket. Guarded by the limiter's lock. */
    private final class Bucket {
        double tokens = burst;
        double rate = configuredRate;
        long last;
        long coolDownUntil;
        /** Grants numbered up to this one were made before the last halving. */
        long decreasedAfterGrant = -1;
        final ArrayDeque<Waiter> queue = new ArrayDeque<>();
        Disposable timer;

        Bucket(long now) {
            this.last = now;
        }

        /** Adds the tokens earned since the last refill, doubling the rate at each cool-down end passed. */
        void refill(long now) {
            while (rate < configuredRate && now - coolDownUntil >= 0) {
                accrue(coolDownUntil);
                rate = Math.min(configuredRate, rate * 2);
                coolDownUntil += coolDownNanos;
            }
            accrue(now);
        }

        private void accrue(long t) {
            if (t - last > 0) {
                tokens = Math.min(burst, tokens + (t - last) * rate / NANOS_PER_SECOND);
                last = t;
            }
        }
    }

    private static final class Waiter {
        final MonoSink<Ticket> sink;

        Waiter(MonoSink<Ticket> sink) {
            this.sink = sink;
        }
    }
}
