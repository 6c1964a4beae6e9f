package io.reactivesmtp.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Netty {@link ResourceLeakDetectorFactory} whose detectors, besides logging as Netty does, record every leak
 * report in a static list, so that tests can fail on a leak instead of it vanishing in a log nobody reads (the
 * tests have no SLF4J binding).
 *
 * <p>It has to be installed before Netty's {@code AbstractByteBuf} initialises its static detector:
 * {@link LeakDetectionSessionListener} does that when the JUnit launcher session opens, and
 * {@link LeakCheckExtension} fails every test class after which a leak was recorded.
 */
public final class RecordingLeakDetectorFactory extends ResourceLeakDetectorFactory {

    /** One leak report of a Netty detector. */
    public record LeakReport(String resourceType, String records, String thread, Instant reportedAt) {

        /** @return whether Netty had access records (creation/access traces) for the leaked object */
        public boolean traced() {
            return !records.isEmpty();
        }

        @Override
        public String toString() {
            return "LEAK of " + resourceType + " (reported on " + thread + " at " + reportedAt + ")"
                    + (traced() ? ":" + records
                            : ": no access records (run with -Dio.netty.leakDetection.level=paranoid for traces)");
        }
    }

    /**
     * A leak whose records carry this marker (e.g. in a {@code touch} hint) is recorded but not logged by Netty:
     * the self-test's deliberate leaks would otherwise print hundreds of lines of traces into every build.
     */
    public static final String DELIBERATE_LEAK_MARKER = "[deliberate leak, not logged]";

    private static final long TRIGGER_BUDGET_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final int TRIGGER_ROUNDS = 3;

    private static final List<LeakReport> REPORTS = new ArrayList<>();
    private static final List<RecordingDetector<?>> DETECTORS = new CopyOnWriteArrayList<>();
    private static final Set<String> DETECTOR_TYPES = ConcurrentHashMap.newKeySet();
    private static volatile boolean installedInTime;

    private RecordingLeakDetectorFactory() {
    }

    /**
     * Installs the factory (idempotent) and makes Netty's {@code AbstractByteBuf} take its detector from it.
     *
     * @return whether the ByteBuf detector is ours; false when {@code AbstractByteBuf} had been initialised
     *         before the factory was installed, in which case ByteBuf leaks would not be recorded
     */
    public static synchronized boolean install() {
        if (!(ResourceLeakDetectorFactory.instance() instanceof RecordingLeakDetectorFactory)) {
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingLeakDetectorFactory());
        }
        try {
            // Initialise AbstractByteBuf now, while the factory is surely ours; if it was initialised earlier
            // its detector is Netty's default one and ours was never asked for a ByteBuf detector.
            Class.forName("io.netty.buffer.AbstractByteBuf", true, RecordingLeakDetectorFactory.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return false; // no netty-buffer on this classpath: nothing to watch
        }
        installedInTime = isInstalled();
        return installedInTime;
    }

    /**
     * @return whether this factory is Netty's factory and built the detector of {@code AbstractByteBuf}, i.e.
     *         ByteBuf leaks are recorded
     */
    public static boolean isInstalled() {
        return ResourceLeakDetectorFactory.instance() instanceof RecordingLeakDetectorFactory
                && DETECTOR_TYPES.contains(ByteBuf.class.getSimpleName());
    }

    /** @return a description of the installation state, for assertion messages */
    public static String describeInstallation() {
        return "ResourceLeakDetectorFactory.instance()=" + ResourceLeakDetectorFactory.instance().getClass().getName()
                + ", detectors built by " + RecordingLeakDetectorFactory.class.getSimpleName() + " for "
                + DETECTOR_TYPES + ", ByteBuf detector ours at install: " + installedInTime
                + ", leak detection level " + ResourceLeakDetector.getLevel();
    }

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
            long maxActive) {
        RecordingDetector<T> detector = new RecordingDetector<>(resource, samplingInterval);
        DETECTORS.add(detector);
        DETECTOR_TYPES.add(resource.getSimpleName());
        return detector;
    }

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
        return newResourceLeakDetector(resource, samplingInterval, Long.MAX_VALUE);
    }

    /**
     * Makes pending leaks surface: a few rounds of {@link System#gc()}, a bounded wait for the collected
     * references to be enqueued, then allocations (Netty drains a detector's reference queue when it tracks a new
     * object). Takes at most about 200 ms.
     */
    public static void triggerDetection() {
        long deadline = System.nanoTime() + TRIGGER_BUDGET_NANOS;
        for (int round = 0; round < TRIGGER_ROUNDS; round++) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            gcAndAwaitReferenceProcessing(Math.min(left, TRIGGER_BUDGET_NANOS / TRIGGER_ROUNDS));
            drainDetectors();
        }
    }

    private static void gcAndAwaitReferenceProcessing(long timeoutNanos) {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        try {
            // The sentinel is enqueued by the reference handler together with the references cleared by the
            // same collection, among them Netty's trackers of leaked objects.
            long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
            if (queue.remove(millis) != null) {
                Thread.sleep(1); // let the reference handler finish enqueueing that batch
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sentinel.clear();
    }

    private static void drainDetectors() {
        // Allocations drain the detectors on the real path (ByteBuf detector, every allocation at paranoid)...
        for (int i = 0; i < 3; i++) {
            PooledByteBufAllocator.DEFAULT.heapBuffer(16).release();
            PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
            Unpooled.buffer(16).release();
            Unpooled.directBuffer(16).release();
        }
        // ...and a forced track drains every detector, whatever its resource type and sampling interval.
        for (RecordingDetector<?> detector : DETECTORS) {
            detector.drain();
        }
    }

    /** @return and clears all recorded reports */
    public static List<LeakReport> takeReports() {
        return takeReports(report -> true);
    }

    /**
     * @param filter which reports to take
     * @return and removes the recorded reports matching the filter, leaving the others recorded
     */
    public static List<LeakReport> takeReports(Predicate<LeakReport> filter) {
        synchronized (REPORTS) {
            List<LeakReport> taken = new ArrayList<>();
            for (Iterator<LeakReport> it = REPORTS.iterator(); it.hasNext();) {
                LeakReport report = it.next();
                if (filter.test(report)) {
                    taken.add(report);
                    it.remove();
                }
            }
            return taken;
        }
    }

    /** @return a copy of the recorded reports, leaving them recorded */
    public static List<LeakReport> reports() {
        synchronized (REPORTS) {
            return List.copyOf(REPORTS);
        }
    }

    private static void record(String resourceType, String records) {
        LeakReport report = new LeakReport(resourceType, records, Thread.currentThread().getName(), Instant.now());
        synchronized (REPORTS) {
            REPORTS.add(report);
        }
    }

    /** A Netty detector that records its reports and still logs them. */
    static final class RecordingDetector<T> extends ResourceLeakDetector<T> {

        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        /** Report even when Netty's logger has ERROR disabled (or no backend at all). */
        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            record(resourceType, records);
            if (!records.contains(DELIBERATE_LEAK_MARKER)) {
                super.reportTracedLeak(resourceType, records);
            }
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            record(resourceType, "");
            super.reportUntracedLeak(resourceType);
        }

        /** Drains the reference queue (reporting collected, unreleased objects) through a forced track. */
        @SuppressWarnings("unchecked")
        void drain() {
            Object probe = new Object();
            ResourceLeakTracker<T> tracker = trackForcibly((T) probe);
            if (tracker != null) {
                tracker.close((T) probe);
            }
        }
    }
}
