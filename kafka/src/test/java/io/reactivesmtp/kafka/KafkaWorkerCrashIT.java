package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker in its own JVM, killed with SIGKILL in the middle of a run, then a new one started: every recipient is
 * accepted at the sink, and only those of the documented window (a final 250 given, the report not written) may be
 * accepted twice.
 */
@Timeout(300)
class KafkaWorkerCrashIT {

    private static final int JOBS = 600;
    private static final int PARTITIONS = 6;
    private static final int IN_FLIGHT = 4;
    private static TestKafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TestKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    /** A worker JVM and its last status line. */
    private static final class WorkerProcess implements AutoCloseable {
        final Process process;
        final AtomicReference<String> last = new AtomicReference<>("");
        final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        final java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);

        WorkerProcess(String id, int smtpPort) throws Exception {
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            ProcessBuilder pb = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                    "-Xmx256m", "-cp", classpath, WorkerMain.class.getName(),
                    broker.bootstrapServers(), "crash", "crash.jobs", "crash.reports", Integer.toString(smtpPort), id,
                    Integer.toString(IN_FLIGHT), "1000");
            pb.redirectErrorStream(true);
            process = pb.start();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.equals("ready")) {
                            ready.countDown();
                        } else if (line.startsWith("inflight=")) {
                            last.set(line);
                        } else {
                            lines.add(line);
                            System.out.println("[" + id + "] " + line);
                        }
                    }
                } catch (java.io.IOException e) {
                    // the process died
                }
            }, "worker-" + id + "-output");
            reader.setDaemon(true);
            reader.start();
            if (!ready.await(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("worker " + id + " did not start: " + lines);
            }
        }

        int field(String name) {
            for (String part : last.get().split(" ")) {
                if (part.startsWith(name + "=")) {
                    return Integer.parseInt(part.substring(name.length() + 1));
                }
            }
            return -1;
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroy();   // SIGTERM: the worker stops gracefully
                try {
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Test
    void aWorkerKilledMidRunAndRestartedResendsOnlyWithinTheWindow() throws Exception {
        broker.createTopics(PARTITIONS, "crash.jobs", "crash.jobs.retry", "crash.reports");
        List<MailJob> jobs = KafkaWorkerIT.jobs(JOBS, 24);
        int recipients = jobs.stream().mapToInt(j -> j.recipients().size()).sum();
        broker.enqueue("crash.jobs", jobs);

        try (CountingSmtpSink sink = new CountingSmtpSink().finalReplyDelay(Duration.ofMillis(40))) {
            WorkerProcess a = new WorkerProcess("A", sink.port());   // killed below, never closed
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (sink.acceptedTotal() < recipients / 4 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(sink.acceptedTotal()).as("accepted before the kill").isGreaterThanOrEqualTo(recipients / 4);
            int inFlightAtKill = a.field("inflight");
            int reportedByA = a.field("reported");
            a.process.destroyForcibly();   // SIGKILL: no revoke, no final commit, no flush
            assertThat(a.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200);   // connections of the dead JVM closed: the sink's count is final for A
            List<CountingSmtpSink.Acceptance> beforeRestart = sink.log();
            assertThat(beforeRestart.size()).as("killed mid-run").isLessThan(recipients);

            Set<String> reportedAcceptedByA = new HashSet<>();
            Map<Long, JobReport> reportsByPosition = new HashMap<>();
            try (WorkerProcess b = new WorkerProcess("B", sink.port())) {
                List<ConsumerRecord<byte[], byte[]>> records = broker.readUntil("crash.reports", Duration.ofSeconds(150),
                        read -> distinctSources(read) >= JOBS);
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    JobReport report = JobReport.parse(r.value());
                    reportsByPosition.putIfAbsent(report.source().partition() * 1_000_000L + report.source().offset(), report);
                    if (report.worker().equals("A")) {
                        report.recipients().stream().filter(x -> x.status() == JobReport.Status.ACCEPTED)
                                .forEach(x -> reportedAcceptedByA.add(x.address()));
                    }
                }
                assertThat(reportsByPosition).as("one report per job").hasSize(JOBS);
                Thread.sleep(300);
                System.out.println("worker B: " + b.last.get());
                assertThat(b.field("skipped")).as("replayed jobs skipped thanks to A's reports").isPositive();
            }

            Map<String, Integer> counts = sink.accepted();
            Set<String> all = new HashSet<>();
            jobs.forEach(j -> all.addAll(j.recipients()));
            Set<String> missing = new HashSet<>(all);
            missing.removeAll(counts.keySet());
            // The window: accepted by the sink while A lived, but no report of A says so.
            Set<String> window = new HashSet<>();
            beforeRestart.forEach(x -> window.add(x.recipient()));
            window.removeAll(reportedAcceptedByA);
            int duplicates = 0;
            int once = 0;
            Set<String> duplicated = new HashSet<>();
            for (Map.Entry<String, Integer> e : counts.entrySet()) {
                if (e.getValue() == 1) {
                    once++;
                } else {
                    duplicates += e.getValue() - 1;
                    duplicated.add(e.getKey());
                }
            }
            int bound = PARTITIONS * IN_FLIGHT * 3;   // jobs in flight at most, times recipients per job at most
            System.out.println("recipients=" + recipients + " accepted_once=" + once + " duplicates=" + duplicates
                    + " (window bound " + window.size() + " recipients accepted by the sink without a report of A;"
                    + " A had " + inFlightAtKill + " jobs in flight and " + reportedByA + " reported at the kill;"
                    + " static bound " + bound + ") missing=" + missing.size());
            assertThat(missing).as("recipients never accepted").isEmpty();
            assertThat(window).as("the window never exceeds what can be in flight").hasSizeLessThanOrEqualTo(bound);
            assertThat(duplicated).as("duplicates only within the window").isSubsetOf(window);
            assertThat(duplicates).isLessThanOrEqualTo(window.size());
            assertThat(counts.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(2));
        }
    }

    private static long distinctSources(List<ConsumerRecord<byte[], byte[]>> read) {
        Set<Long> positions = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : read) {
            JobReport report = JobReport.parse(r.value());
            positions.add(report.source().partition() * 1_000_000L + report.source().offset());
        }
        return positions.size();
    }
}
