package io.reactivesmtp.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * {@link TransactionBenchmark}'s transaction in a plain loop, measured by the thread's own clocks: CPU time
 * ({@code ThreadMXBean#getCurrentThreadCpuTime}) and bytes allocated
 * ({@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}) per transaction. On a shared machine
 * these move far less than JMH's wall-clock score or its {@code gc.alloc.rate.norm}, which counts what other threads
 * of the JVM allocate too; run two jars in turn to compare them.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.TransactionCpu RCPTS [N [ROUNDS]]
 * R=10 cpu_ns_per_tx_median=8238 min=7801 alloc_bytes_per_tx=3519
 * </pre>
 *
 * After 2 N warm-up transactions, the allocation of N transactions, then ROUNDS rounds of N (defaults 50,000 and
 * 5); prints the median and the lowest round's CPU time per transaction.
 */
public final class TransactionCpu {

    private TransactionCpu() {
    }

    /** @param args RCPTS [N [ROUNDS]], each a whole number of at least 1; a wrong one exits with status 2 */
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 3) {
            usage("expected RCPTS [N [ROUNDS]], got " + args.length + " argument(s)");
        }
        int rcpts = positive("RCPTS", args[0]);
        int n = args.length > 1 ? positive("N", args[1]) : 50_000;
        int rounds = args.length > 2 ? positive("ROUNDS", args[2]) : 5;
        TransactionBenchmark b = new TransactionBenchmark();
        b.rcpts = rcpts;
        b.bodySize = 1000;
        b.setUp();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 2 * n; i++) {
            b.transaction(null);
        }
        long a0 = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < n; i++) {
            b.transaction(null);
        }
        long bytesPerTx = (threads.getCurrentThreadAllocatedBytes() - a0) / n;
        long[] ns = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            long c0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                b.transaction(null);
            }
            ns[r] = (threads.getCurrentThreadCpuTime() - c0) / n;
        }
        b.tearDown();
        Arrays.sort(ns);
        System.out.println("R=" + rcpts + " cpu_ns_per_tx_median=" + ns[rounds / 2] + " min=" + ns[0]
                + " alloc_bytes_per_tx=" + bytesPerTx);
    }

    private static int positive(String name, String value) {
        try {
            int v = Integer.parseInt(value);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        usage(name + " must be a whole number of at least 1, got '" + value + "'");
        return 0; // not reached
    }

    private static void usage(String problem) {
        System.err.println("TransactionCpu: " + problem + "; usage: TransactionCpu RCPTS [N [ROUNDS]]");
        System.exit(2);
    }
}
