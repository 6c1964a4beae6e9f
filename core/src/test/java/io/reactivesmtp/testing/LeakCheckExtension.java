package io.reactivesmtp.testing;

import io.reactivesmtp.testing.RecordingLeakDetectorFactory.LeakReport;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leak while (or shortly after) it ran: after all its tests, triggers
 * leak detection ({@link RecordingLeakDetectorFactory#triggerDetection()}, at most about 200 ms) and throws an
 * {@link AssertionError} listing the leak records. Auto-registered for every Jupiter test class through
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension} and
 * {@code junit.jupiter.extensions.autodetection.enabled=true}. {@code @Nested} classes are checked with their
 * top-level class.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        if (isNested(context)) {
            return;
        }
        if (!RecordingLeakDetectorFactory.isInstalled()) {
            throw new AssertionError("Netty leak recording is not installed, leaks would go unnoticed ("
                    + LeakDetectionSessionListener.class.getName()
                    + " must be registered as a LauncherSessionListener): "
                    + RecordingLeakDetectorFactory.describeInstallation());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (isNested(context)) {
            return;
        }
        long start = System.nanoTime();
        RecordingLeakDetectorFactory.triggerDetection();
        STATS.add(System.nanoTime() - start);
        List<LeakReport> leaks = RecordingLeakDetectorFactory.takeReports();
        if (!leaks.isEmpty()) {
            StringBuilder message = new StringBuilder()
                    .append(leaks.size()).append(" Netty resource leak(s) in or before ")
                    .append(context.getRequiredTestClass().getName())
                    .append(" (a leak is reported when its object is garbage-collected, so it may come from the"
                            + " class that ran before):");
            leaks.forEach(leak -> message.append(System.lineSeparator()).append(leak));
            throw new AssertionError(message.toString());
        }
    }

    /** Time spent triggering detection after classes, reported when the launcher session closes. */
    static final class Stats {
        private final AtomicLong classes = new AtomicLong();
        private final AtomicLong totalNanos = new AtomicLong();
        private final AtomicLong maxNanos = new AtomicLong();

        void add(long nanos) {
            classes.incrementAndGet();
            totalNanos.addAndGet(nanos);
            maxNanos.accumulateAndGet(nanos, Math::max);
        }

        long classes() {
            return classes.get();
        }

        @Override
        public String toString() {
            long n = classes.get();
            return n + " test classes checked for Netty leaks, detection took "
                    + TimeUnit.NANOSECONDS.toMillis(totalNanos.get()) + " ms in all (mean "
                    + (n == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(totalNanos.get() / n)) + " ms, max "
                    + TimeUnit.NANOSECONDS.toMillis(maxNanos.get()) + " ms)";
        }
    }

    static final Stats STATS = new Stats();

    private static boolean isNested(ExtensionContext context) {
        return context.getParent().flatMap(ExtensionContext::getTestClass).isPresent();
    }
}
