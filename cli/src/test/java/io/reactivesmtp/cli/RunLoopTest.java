package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shared wait of {@code bulk} and {@code worker}, on a fake clock that each step advances by its wait. */
@Timeout(10)
class RunLoopTest {

    private static final long MS = 1_000_000L;

    /** A clock that moves only when the loop waits, and an end that comes at a chosen step (or never). */
    private static final class FakeRun implements RunLoop.EndWait {
        long now;
        int steps;
        final int endAtStep;

        FakeRun(int endAtStep) {
            this.endAtStep = endAtStep;
        }

        @Override
        public boolean await(long millis) {
            if (++steps > 10_000) {
                throw new AssertionError("the loop did not stop");
            }
            now += millis * MS;
            return steps == endAtStep;
        }
    }

    private final StringWriter printed = new StringWriter();
    private final PrintWriter out = new PrintWriter(printed, true);

    /** Plain lines (not a terminal) every 100 ms from time 0. */
    private ProgressLine progress() {
        return new ProgressLine(out, "bulk", true, false, Duration.ofMillis(100), 0);
    }

    private List<String> lines() {
        return printed.toString().lines().toList();
    }

    @Test
    void endsAtTheFirstStepThatSeesTheEndAndChecksThatStepToo() throws InterruptedException {
        FakeRun run = new FakeRun(3);
        List<String> checks = new ArrayList<>();

        RunLoop.Ending ending = new RunLoop(run, progress(), now -> "at " + now / MS, () -> run.now)
                .onStep((now, ended) -> checks.add(now / MS + (ended ? " ended" : "")))
                .run();

        assertThat(ending).isEqualTo(RunLoop.Ending.ENDED);
        assertThat(run.steps).isEqualTo(3);
        assertThat(checks).containsExactly("50", "100", "150 ended");
        // Waits of 50 ms: the step at 100 ms printed; the last step (the end) never prints.
        assertThat(lines()).containsExactly("bulk: at 100");
    }

    @Test
    void ticksTheProgressLineAtItsIntervalWhileTheRunGoesOn() throws InterruptedException {
        FakeRun run = new FakeRun(10);

        new RunLoop(run, progress(), now -> "at " + now / MS, () -> run.now).run();

        assertThat(lines()).containsExactly("bulk: at 100", "bulk: at 200", "bulk: at 300", "bulk: at 400");
    }

    @Test
    void announcesAStopRequestOnceOnALineOfItsOwn() throws InterruptedException {
        FakeRun run = new FakeRun(8);
        AtomicInteger announcements = new AtomicInteger();
        ProgressLine live = new ProgressLine(out, "bulk", true, true, Duration.ofMillis(100), 0);

        RunLoop.Ending ending = new RunLoop(run, live, now -> "at " + now / MS, () -> run.now)
                .announceStop(() -> run.now >= 150 * MS, () -> {
                    announcements.incrementAndGet();
                    out.println("interrupted at " + run.now / MS);
                })
                .run();

        assertThat(ending).isEqualTo(RunLoop.Ending.ENDED);
        assertThat(announcements).hasValue(1);
        // The live line of 100 ms is ended before the announcement; the next ones rewrite their own line.
        assertThat(printed.toString()).startsWith("\rat 100\ninterrupted at 150\n\rat 200");
    }

    @Test
    void noStopRequestNoAnnouncementAndNoAbandon() throws InterruptedException {
        FakeRun run = new FakeRun(30);
        AtomicBoolean abandoned = new AtomicBoolean();

        RunLoop.Ending ending = new RunLoop(run, progress(), now -> "", () -> run.now)
                .announceStop(() -> false, () -> out.println("interrupted"))
                .drainTimeout(() -> 0, Duration.ofMillis(100), () -> abandoned.set(true))
                .run();

        assertThat(ending).isEqualTo(RunLoop.Ending.ENDED);
        assertThat(run.steps).isEqualTo(30);
        assertThat(abandoned).isFalse();
        assertThat(printed.toString()).doesNotContain("interrupted");
    }

    @Test
    void abandonsOnceTheDrainTimeoutHasPassedSinceTheStopRequest() throws InterruptedException {
        FakeRun run = new FakeRun(-1);
        AtomicInteger abandons = new AtomicInteger();
        AtomicInteger announcements = new AtomicInteger();

        RunLoop.Ending ending = new RunLoop(run, progress(), now -> "", () -> run.now)
                .announceStop(() -> run.now >= 100 * MS, announcements::incrementAndGet)
                .drainTimeout(() -> 100 * MS, Duration.ofMillis(200), abandons::incrementAndGet)
                .run();

        assertThat(ending).isEqualTo(RunLoop.Ending.ABANDONED);
        assertThat(abandons).hasValue(1);
        assertThat(announcements).hasValue(1);
        // More than 200 ms after the request at 100 ms: the step at 350 ms, not the one at 300 ms.
        assertThat(run.now).isEqualTo(350 * MS);
    }

    @Test
    void anEndWithinTheDrainTimeoutIsNotAnAbandon() throws InterruptedException {
        FakeRun run = new FakeRun(5);
        AtomicBoolean abandoned = new AtomicBoolean();

        RunLoop.Ending ending = new RunLoop(run, progress(), now -> "", () -> run.now)
                .announceStop(() -> true, () -> { })
                .drainTimeout(() -> 0, Duration.ofMillis(200), () -> abandoned.set(true))
                .run();

        assertThat(ending).isEqualTo(RunLoop.Ending.ENDED);
        assertThat(abandoned).isFalse();
    }

    @Test
    void onARealLatchAndClockItEndsWhenCountedDownAndAbandonsAfterAShortTimeout() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Thread ender = new Thread(() -> {
            try {
                Thread.sleep(120);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.countDown();
        });
        ender.start();
        assertThat(new RunLoop(ms -> done.await(ms, TimeUnit.MILLISECONDS), progress(), now -> "", System::nanoTime)
                .run()).isEqualTo(RunLoop.Ending.ENDED);
        ender.join(5_000);

        long requestedAt = System.nanoTime();
        CountDownLatch never = new CountDownLatch(1);
        long started = System.nanoTime();
        assertThat(new RunLoop(ms -> never.await(ms, TimeUnit.MILLISECONDS), progress(), now -> "", System::nanoTime)
                .announceStop(() -> true, () -> { })
                .drainTimeout(() -> requestedAt, Duration.ofMillis(100), () -> { })
                .run()).isEqualTo(RunLoop.Ending.ABANDONED);
        assertThat(System.nanoTime() - started).isGreaterThan(100 * MS);
    }
}
