package io.reactivesmtp.kafka;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * A worker in a JVM of its own, for the crash test: {@code WorkerMain BOOTSTRAP GROUP JOBS REPORTS SMTP_PORT
 * WORKER_ID IN_FLIGHT COMMIT_MS}. Prints {@code ready}, then every 50 ms
 * {@code inflight=N reported=M skipped=K}; a SIGTERM stops it gracefully, a SIGKILL does not.
 */
public final class WorkerMain {

    private WorkerMain() {
    }

    /**
     * @param args see the class comment
     * @throws Exception if the worker cannot start
     */
    public static void main(String[] args) throws Exception {
        AtomicInteger reported = new AtomicInteger();
        AtomicInteger skipped = new AtomicInteger();
        TestWorker w = TestWorker.start(Integer.parseInt(args[4]),
                TestWorker.options(args[0], args[1], args[2], args[3]),
                b -> b.workerId(args[5]).maxInFlightPerPartition(Integer.parseInt(args[6]))
                        .commitInterval(Duration.ofMillis(Long.parseLong(args[7])))
                        .listener(new WorkerListener() {
                            @Override
                            public void onReport(JobReport report) {
                                reported.incrementAndGet();
                            }

                            @Override
                            public void onReplaySkipped(String jobId, TopicPartition partition, long offset) {
                                skipped.incrementAndGet();
                            }
                        }));
        Runtime.getRuntime().addShutdownHook(new Thread(w::close));
        System.out.println("ready");
        System.out.flush();
        while (!w.worker.awaitTermination(Duration.ofMillis(50))) {
            System.out.println("inflight=" + w.worker.inFlight() + " reported=" + reported.get() + " skipped=" + skipped.get());
            System.out.flush();
        }
        System.out.println("ended " + w.worker.failure().map(Throwable::toString).orElse("normally"));
    }
}
