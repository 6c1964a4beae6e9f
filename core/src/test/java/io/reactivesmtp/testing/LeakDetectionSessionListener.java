package io.reactivesmtp.testing;

import io.reactivesmtp.testing.RecordingLeakDetectorFactory.LeakReport;
import java.util.List;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link RecordingLeakDetectorFactory} when the JUnit launcher session opens, before any test class
 * (and so before Netty's {@code AbstractByteBuf}) is loaded. Registered through
 * {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}.
 *
 * <p>When the session closes it looks for leaks once more and prints those no test class was failed for (a leak
 * collected after the last class, or in a test of another engine such as jqwik) to stderr: a listener cannot
 * fail the run.
 */
public final class LeakDetectionSessionListener implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (!RecordingLeakDetectorFactory.install()) {
            System.err.println("[leak-check] WARNING: ByteBuf leaks are not recorded: "
                    + RecordingLeakDetectorFactory.describeInstallation());
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        if (!RecordingLeakDetectorFactory.isInstalled()) {
            return;
        }
        if (LeakCheckExtension.STATS.classes() > 0) {
            System.err.println("[leak-check] " + LeakCheckExtension.STATS);
        }
        RecordingLeakDetectorFactory.triggerDetection();
        List<LeakReport> leaks = RecordingLeakDetectorFactory.takeReports();
        if (!leaks.isEmpty()) {
            StringBuilder message = new StringBuilder("[leak-check] ").append(leaks.size())
                    .append(" leak(s) found after the last test class ran:");
            leaks.forEach(leak -> message.append(System.lineSeparator()).append(leak));
            System.err.println(message);
        }
    }
}
