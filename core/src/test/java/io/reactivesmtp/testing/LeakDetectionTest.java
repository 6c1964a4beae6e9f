package io.reactivesmtp.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetector.Level;
import io.netty.util.ResourceLeakDetectorFactory;
import io.reactivesmtp.testing.RecordingLeakDetectorFactory.LeakReport;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Proves the leak check works: a buffer dropped without release is recorded (which only happens when
 * {@link RecordingLeakDetectorFactory} was installed before Netty's buffers initialised), and a test class that
 * leaks is failed by {@link LeakCheckExtension}.
 */
@Timeout(30)
class LeakDetectionTest {

    private Level previousLevel;

    /** Every allocation tracked, with access records, whatever -Dleak.level this run uses. */
    @BeforeEach
    void paranoid() {
        previousLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(Level.PARANOID);
    }

    @AfterEach
    void restoreLevel() {
        ResourceLeakDetector.setLevel(previousLevel);
    }

    @Test
    void factoryIsInstalledBeforeNettyBuffersInitialise() {
        assertThat(ResourceLeakDetectorFactory.instance()).isInstanceOf(RecordingLeakDetectorFactory.class);
        assertThat(RecordingLeakDetectorFactory.isInstalled())
                .as(RecordingLeakDetectorFactory.describeInstallation()).isTrue();
    }

    @Test
    void unreleasedUnpooledDirectBufferIsRecorded() {
        // Unpooled heap buffers are not tracked by Netty (the GC reclaims them); direct ones are.
        String hint = RecordingLeakDetectorFactory.DELIBERATE_LEAK_MARKER + " unpooled direct " + System.nanoTime();
        leak(Unpooled.directBuffer(32), hint);

        assertThat(awaitLeak(hint)).singleElement().satisfies(leak -> {
            assertThat(leak.resourceType()).isEqualTo("ByteBuf");
            assertThat(leak.records()).contains(hint).contains(LeakDetectionTest.class.getName() + ".leak");
        });
    }

    @Test
    void unreleasedPooledHeapBufferIsRecorded() {
        String hint = RecordingLeakDetectorFactory.DELIBERATE_LEAK_MARKER + " pooled heap " + System.nanoTime();
        leak(PooledByteBufAllocator.DEFAULT.heapBuffer(32), hint);

        assertThat(awaitLeak(hint)).hasSize(1);
    }

    @Test
    void leakingTestClassIsFailedByTheExtension() {
        String hint = RecordingLeakDetectorFactory.DELIBERATE_LEAK_MARKER + " in LeakingClass " + System.nanoTime();
        LeakingClass.hint = hint;
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        // A launcher of its own, without session listeners (the factory is installed already).
        LauncherConfig config = LauncherConfig.builder().enableLauncherSessionListenerAutoRegistration(false).build();
        try {
            LauncherFactory.create(config)
                    .execute(LauncherDiscoveryRequestBuilder.request()
                            .selectors(DiscoverySelectors.selectClass(LeakingClass.class))
                            .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                            .build(), summary);
        } finally {
            LeakingClass.hint = null;
        }

        assertThat(summary.getSummary().getTestsSucceededCount()).isEqualTo(1);
        assertThat(summary.getSummary().getFailures()).singleElement().satisfies(failure -> {
            assertThat(failure.getTestIdentifier().isContainer()).isTrue();
            assertThat(failure.getException()).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("1 Netty resource leak(s)")
                    .hasMessageContaining(LeakingClass.class.getName())
                    .hasMessageContaining(hint);
        });
        assertThat(RecordingLeakDetectorFactory.reports()).noneMatch(leak -> leak.records().contains(hint));
    }

    /** Run only by {@link #leakingTestClassIsFailedByTheExtension()} (it is not armed otherwise). */
    static class LeakingClass {
        static volatile String hint;

        @Test
        void leaksABuffer() {
            if (hint != null) {
                leak(Unpooled.directBuffer(32), hint);
            }
        }
    }

    /** Allocated and dropped in its own frame, so nothing on the test's stack keeps the buffer reachable. */
    private static void leak(ByteBuf buf, String hint) {
        buf.writeBytes(new byte[] {1, 2, 3});
        buf.touch(hint);
    }

    /** Triggers detection until the leak carrying the hint shows up (bounded); takes only that leak's reports. */
    private static List<LeakReport> awaitLeak(String hint) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<LeakReport> found;
        do {
            RecordingLeakDetectorFactory.triggerDetection();
            found = RecordingLeakDetectorFactory.takeReports(leak -> leak.records().contains(hint));
        } while (found.isEmpty() && System.nanoTime() < deadline);
        return found;
    }
}
