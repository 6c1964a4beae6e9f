package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SmtpConnectionException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * The connection budget over all destinations: at most {@code size} connections open at once, counted from the
 * start of the connect until the connection has closed.
 *
 * <p>A connect that finds the budget spent does not exceed it. It closes (QUIT) the least recently used idle
 * session of any destination and takes the slot that close frees; when no session is idle it waits, at most
 * {@code waitTimeout}, for a slot: a session that closes for any reason, or one that goes idle while connects wait
 * (then that one, or an older idle one, is closed for them). A session in use is never closed here: "idle" means
 * handed back to its pool, not taken again, and no transaction awaiting its final reply
 * ({@link PooledSession#tryClaimForClose()} and {@link PooledSession#tryClaim()} decide races between this and the
 * pool's hand-out).
 *
 * <p>While idle sessions exist, a small reserve of slots is kept free by closing the oldest of them ahead of need, so
 * that a connect to a new destination rarely waits for a QUIT's round trip.
 *
 * <p>Slots are {@link KeyedPermits} permits of one key: FIFO waiters, bounded waiters, a permit granted to a
 * cancelled waiter goes back.
 */
final class ConnectionBudget {

    private static final Object ALL = "all destinations";

    private final int size;
    /**
     * Slots kept free while idle sessions can be closed instead: a connect to a new destination then starts at once
     * rather than after a QUIT's round trip. An eighth of the budget, at most 8; none below 8.
     */
    private final int reserve;
    private final Duration waitTimeout;
    private final KeyedPermits slots;
    /** Closes an idle session politely (QUIT), bounded in time. */
    private final Consumer<PooledSession> closer;
    /** Every open session (ready for use or in use), the candidates for a close. */
    private final Set<PooledSession> sessions = ConcurrentHashMap.newKeySet();
    /** Guarded by {@code this}: sessions this budget closed whose connection has not closed yet. */
    private int closing;

    /**
     * @param size connections open at once
     * @param maxWaiters connects waiting for a slot before one fails at once
     * @param waitTimeout the longest wait for a slot (pendingAcquireTimeout)
     * @param closer closes an idle session politely (QUIT), bounded in time
     */
    ConnectionBudget(int size, int maxWaiters, Duration waitTimeout, Consumer<PooledSession> closer) {
        this.size = size;
        this.reserve = Math.min(8, size / 8);
        this.closer = closer;
        this.waitTimeout = waitTimeout;
        this.slots = new KeyedPermits(size, maxWaiters, key -> new SmtpConnectionException(
                "too many connects wait for a connection slot: " + maxWaiters + " (maxPendingAcquires) already wait for"
                        + " one of " + size + " connections (the connection budget)", null, null));
    }

    /** @return the budget: connections open at once */
    int size() {
        return size;
    }

    /**
     * A slot for one new connection: at once when one is free, else after the least recently used idle session was
     * closed for it, else when one frees up.
     *
     * @return the slot; release it exactly once, when the connection has closed (or was never made)
     */
    Mono<KeyedPermits.Permit> acquire() {
        return Mono.defer(() -> {
            KeyedPermits.Permit free = slots.tryAcquire(ALL);
            if (free != null) {
                if (reserve > 0) {
                    closeIdle(0);
                }
                return Mono.just(free);
            }
            // Counting this connect as a waiter already: the slot the close frees may come before it queues, and
            // then it is simply free when it does.
            closeIdle(1);
            return slots.acquire(ALL).timeout(waitTimeout, Mono.error(() -> new SmtpConnectionException(
                    "no connection slot became free within " + waitTimeout + " (pendingAcquireTimeout): all " + size
                            + " connections of the budget (maxConnections) are in use", new TimeoutException(), null)));
        });
    }

    /** A session is open and ready: from now on it may be closed for a waiting connect when it idles. */
    void opened(PooledSession session) {
        sessions.add(session);
    }

    /** A session's connection has closed (its slot is released by its owner). */
    void closed(PooledSession session) {
        if (sessions.remove(session) && session.isClosing()) {
            synchronized (this) {
                closing--;
            }
        }
    }

    /** A session may have become idle: if connects wait, or the reserve is used, make room. */
    void idled() {
        if (reserve > 0 || slots.hasWaiters()) {
            closeIdle(0);
        }
    }

    /** @return sessions open right now (ready or in use) */
    int openSessions() {
        return sessions.size();
    }

    /**
     * Closes least recently used idle sessions until those being closed cover the waiting connects (plus
     * {@code arriving} about to wait) and the reserve is free, or none is idle.
     */
    private void closeIdle(int arriving) {
        // Bounded: each round either closes a session (at most the budget's size) or stops.
        for (int round = 0; round <= size; round++) {
            PooledSession victim = null;
            synchronized (this) {
                int inUse = slots.inUse(ALL);
                // A slot freed meanwhile (a close completed) serves the arriving connect: no further close for it.
                boolean waiting = slots.waiters() + arriving > closing + (size - inUse);
                if (!waiting && inUse - closing <= size - reserve) {
                    return;
                }
                // A claim fails only when the pool handed that session out meanwhile: look again, boundedly.
                for (int tries = 0; victim == null && tries <= size; tries++) {
                    PooledSession oldest = leastRecentlyUsedIdle();
                    if (oldest == null) {
                        return;
                    }
                    if (oldest.tryClaimForClose()) {
                        victim = oldest;
                        closing++;
                    }
                }
            }
            if (victim == null) {
                return;
            }
            // QUIT; the slot comes back when the connection has closed, and goes to the first waiter.
            closer.accept(victim);
        }
    }

    private PooledSession leastRecentlyUsedIdle() {
        PooledSession oldest = null;
        for (PooledSession s : sessions) {
            if (s.isIdle() && (oldest == null || s.idleSince() - oldest.idleSince() < 0)) {
                oldest = s;
            }
        }
        return oldest;
    }
}
