package io.reactivesmtp.reactor.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Schedulers;

/**
 * Ends the waits for a place at a pacing site once they pass their deadline: one timer per site, due at its earliest
 * deadline, instead of one per waiting send (each a schedule and a cancel on a thread of Reactor's parallel
 * scheduler, which the event loop paid for thousands of times while pacing's limit grew). A timer that goes off ends
 * the waits past their deadline and, if sends still wait, sets the next one. Guarded by the site's lock, but for
 * {@link #schedule}. Internal: not part of the API.
 */
final class PacingExpiry {

    /** Whether a timer is due, and when ({@link System#nanoTime()}). */
    private boolean scheduled;
    private long at;

    /**
     * A send was queued to wait (under the site's lock).
     *
     * @param w the waiter, its deadline set
     * @return whether the caller must {@link #schedule} a timer at {@code w.deadline}: none is due before it
     */
    boolean queued(PacingWaiter w) {
        if (scheduled && at - w.deadline <= 0) {
            return false;
        }
        scheduled = true;
        at = w.deadline;
        return true;
    }

    /**
     * A timer due at {@code due} went off (under the site's lock): takes the waiters past their deadline out.
     *
     * @param waiters the site's queue
     * @param due when the timer was due
     * @param now {@link System#nanoTime()}
     * @param expired where the ended waiters go (their errors are signalled by the caller, unlocked)
     * @return when the next timer is due, or {@code now} when none is to be set (no one waits, or one is due by then)
     */
    long expire(Iterable<PacingWaiter> waiters, long due, long now, List<PacingWaiter> expired) {
        if (scheduled && at == due) {
            scheduled = false;
        }
        long next = 0;
        boolean any = false;
        for (Iterator<PacingWaiter> it = waiters.iterator(); it.hasNext(); ) {
            PacingWaiter w = it.next();
            if (w.deadline - now <= 0) {
                it.remove();
                expired.add(w);
            } else if (!any || w.deadline - next < 0) {
                next = w.deadline;
                any = true;
            }
        }
        if (!any || scheduled && at - next <= 0) {
            return now;
        }
        scheduled = true;
        at = next;
        return next;
    }

    /**
     * Sets a timer at {@code due} for the site's waits (outside its lock).
     *
     * @param site the site
     * @param due {@link System#nanoTime()} when it goes off
     */
    static void schedule(PacingSite site, long due) {
        Schedulers.parallel().schedule(() -> {
            List<PacingWaiter> expired = new ArrayList<>(0);
            long now = System.nanoTime();
            long next;
            synchronized (site) {
                next = site.expiry.expire(site.waiters, due, now, expired);
            }
            if (next != now) {
                schedule(site, next);
            }
            for (PacingWaiter w : expired) {
                w.sink.error(w.timedOut.get());
            }
        }, Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
