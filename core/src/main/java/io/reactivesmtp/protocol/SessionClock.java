package io.reactivesmtp.protocol;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpSessionOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The one clock of a session: the phase it runs for (null when stopped) and its deadline. Re-arming only moves
 * the deadline; a check scheduled on the event loop fires at the deadline it was scheduled for and then either
 * times out or re-schedules itself, so the many commands of a busy session do not each schedule and cancel a
 * task. Touched on the event loop only.
 */
final class SessionClock {

    /** Told when the clock ran out. */
    interface Expiry {
        /** The phase {@code phase} took longer than its {@code timeout}. */
        void timedOut(SmtpPhase phase, Duration timeout);
    }

    private final SmtpSessionOptions options;
    private final EventExecutor executor;
    private final Expiry expiry;
    private final Runnable check = this::onCheck;
    private SmtpPhase phase;
    private long deadline;
    private ScheduledFuture<?> scheduled;
    private long checkAt;

    SessionClock(SmtpSessionOptions options, EventExecutor executor, Expiry expiry) {
        this.options = options;
        this.executor = executor;
        this.expiry = expiry;
    }

    /** @return true while the clock runs for some phase */
    boolean isRunning() {
        return phase != null;
    }

    /** Runs the clock for {@code phase}: its full timeout from now. */
    void arm(SmtpPhase phase) {
        this.phase = phase;
        deadline = System.nanoTime() + options.timeout(phase).toNanos();
        if (scheduled == null || checkAt - deadline > 0) {
            // No check scheduled, or it would come too late for this deadline.
            cancelCheck();
            schedule();
        }
    }

    /** Stops the clock until it is armed again; a check still scheduled finds nothing to do. */
    void cancel() {
        phase = null;
    }

    /** Stops the clock for good (the connection is closing): no task of this session stays scheduled. */
    void stop() {
        phase = null;
        cancelCheck();
    }

    private void cancelCheck() {
        if (scheduled != null) {
            scheduled.cancel(false);
            scheduled = null;
        }
    }

    private void schedule() {
        checkAt = deadline;
        scheduled = executor.schedule(check, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void onCheck() {
        scheduled = null;
        SmtpPhase p = phase;
        if (p == null) {
            return;
        }
        if (System.nanoTime() - deadline < 0) {
            schedule(); // re-armed since: wait for the new deadline
            return;
        }
        phase = null;
        expiry.timedOut(p, options.timeout(p));
    }
}
