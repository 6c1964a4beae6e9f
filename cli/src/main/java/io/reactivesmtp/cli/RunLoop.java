package io.reactivesmtp.cli;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * The wait of {@code bulk} and {@code worker} while they run: in 50 ms steps until the run ends, ticking the
 * {@link ProgressLine}, announcing a stop request (Ctrl-C) once and, when a drain timeout is set, giving up on what is
 * still in flight once that much time has passed since the stop request. Each command adds its own per-step check
 * (bulk: a failed report file; worker: the idle exit).
 */
final class RunLoop {

    /** How long one step waits for the end. */
    static final long STEP_MILLIS = 50;

    /** How {@link #run} ended. */
    enum Ending {
        /** The end condition held. */
        ENDED,
        /** A stop was requested and the drain timeout passed first. */
        ABANDONED
    }

    /** The end condition: waits up to the given time for the run to end. */
    @FunctionalInterface
    interface EndWait {
        /**
         * @param millis how long to wait at most
         * @return whether the run has ended
         * @throws InterruptedException when the waiting thread is interrupted
         */
        boolean await(long millis) throws InterruptedException;
    }

    /** A command's own check, after the progress tick of every step. */
    @FunctionalInterface
    interface Step {
        /**
         * @param now the step's time ({@code System.nanoTime()} or the test's clock)
         * @param ended whether the run has ended at this step (its last one)
         */
        void check(long now, boolean ended);
    }

    private final EndWait end;
    private final ProgressLine progress;
    private final LongFunction<String> line;
    private final LongSupplier clock;
    private Step step = (now, ended) -> { };
    private BooleanSupplier stopRequested = () -> false;
    private Runnable announce = () -> { };
    private LongSupplier stopRequestedAt;
    private long drainNanos;
    private Runnable abandon = () -> { };

    /**
     * @param end the end condition
     * @param progress the progress line, ticked at every step before the end
     * @param line makes the progress line's text at a step's time (only called when it is printed)
     * @param clock {@code System::nanoTime}, or a test's clock
     */
    RunLoop(EndWait end, ProgressLine progress, LongFunction<String> line, LongSupplier clock) {
        this.end = end;
        this.progress = progress;
        this.line = line;
        this.clock = clock;
    }

    /**
     * @param check run at every step, after the progress tick, the last step included
     * @return this
     */
    RunLoop onStep(Step check) {
        this.step = check;
        return this;
    }

    /**
     * @param requested whether a stop was requested
     * @param announcement prints the announcement, once, at the first step that sees the request (after the step's
     *     check), on a line of its own
     * @return this
     */
    RunLoop announceStop(BooleanSupplier requested, Runnable announcement) {
        this.stopRequested = requested;
        this.announce = announcement;
        return this;
    }

    /**
     * Gives up once a stop was requested and {@code timeout} has passed since then without the end.
     *
     * @param requestedAt when the stop was requested (the clock's time; read only once it was)
     * @param timeout how long to wait for what is in flight
     * @param abandonment run once when giving up (disposing of the run), before {@link #run} returns
     * @return this
     */
    RunLoop drainTimeout(LongSupplier requestedAt, Duration timeout, Runnable abandonment) {
        this.stopRequestedAt = requestedAt;
        this.drainNanos = timeout.toNanos();
        this.abandon = abandonment;
        return this;
    }

    /**
     * Waits until the run ends or is abandoned.
     *
     * @return how it ended
     * @throws InterruptedException when the waiting thread is interrupted
     */
    Ending run() throws InterruptedException {
        boolean announced = false;
        while (true) {
            boolean ended = end.await(STEP_MILLIS);
            long now = clock.getAsLong();
            if (!ended) {
                progress.tick(now, () -> line.apply(now));
            }
            step.check(now, ended);
            if (!announced && stopRequested.getAsBoolean()) {
                announced = true;
                progress.breakLine();
                announce.run();
            }
            if (ended) {
                return Ending.ENDED;
            }
            if (stopRequestedAt != null && stopRequested.getAsBoolean()
                    && now - stopRequestedAt.getAsLong() > drainNanos) {
                abandon.run();
                return Ending.ABANDONED;
            }
        }
    }
}
