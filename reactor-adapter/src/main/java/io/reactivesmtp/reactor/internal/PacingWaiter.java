package io.reactivesmtp.reactor.internal;

import java.util.function.Supplier;
import reactor.core.publisher.MonoSink;

/** A send waiting for a place at a pacing site ({@link AdaptivePacing}); queued in {@link PacingSite#waiters}. */
final class PacingWaiter {
    final MonoSink<AdaptivePacing.Permit> sink;
    /** Set under the site's lock before the cancel hook is registered. */
    PacingSite site;
    /** Set under the site's lock. */
    AdaptivePacing.Permit granted;
    /** When its wait ends in failure ({@link System#nanoTime()}); set before it is queued. */
    long deadline;
    /** That failure; set before it is queued. */
    Supplier<? extends Throwable> timedOut;

    PacingWaiter(MonoSink<AdaptivePacing.Permit> sink) {
        this.sink = sink;
    }

    /** A permit granted to a subscriber that cancelled goes back. */
    void cancel() {
        AdaptivePacing.Permit p;
        synchronized (site) {
            site.waiters.remove(this);
            p = granted;
        }
        if (p != null) {
            p.release();
        }
    }
}
