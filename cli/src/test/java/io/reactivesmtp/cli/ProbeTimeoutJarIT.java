package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code probe} to a closed port fails within {@code --timeout-seconds}, as {@code send} does: it
 * used to wait for a QUIT reply on the channel that never connected (timeout + 2 s, 32 s by default).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProbeTimeoutJarIT {

    @TempDir
    Path dir;

    @Test
    void probeToAClosedPortFailsWithinTheTimeout() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        PackagedCli cli = new PackagedCli(dir);
        long start = System.nanoTime();
        PackagedCli.Result r = cli.command("probe", "--server", "127.0.0.1:" + closed, "--timeout-seconds", "8")
                .run(Duration.ofSeconds(60)).assertExit(ExitCodes.FAILED);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(r.err()).contains("127.0.0.1:" + closed);
        // A bound on the wait, JVM start included; before the fix this took 10 s or more.
        assertThat(took).as(r.toString()).isLessThan(Duration.ofSeconds(8));
    }
}
