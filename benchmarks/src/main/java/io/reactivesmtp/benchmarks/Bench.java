package io.reactivesmtp.benchmarks;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.MessageResult;
import io.reactivesmtp.reactor.OutgoingMessage;
import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;

/**
 * End-to-end throughput harness:
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.Bench [--threads N] [--timeout-seconds S] HOST PORT C N L R
 * </pre>
 * C connections (pool of C per destination, maxInFlight 2C: a message awaiting its final reply and the next one
 * pipelined behind it on each connection) reused for every message; an uncounted warm-up of
 * min(N/10, 2000) messages on the same connections, then N measured messages with a body of L bytes and R
 * distinct recipients (rcpt01@example.com ...), TLS off. Prints one line and exits 0 when every message was
 * accepted by every recipient; otherwise exits 1 with the reason on stderr (2 on a usage error).
 */
public final class Bench {

    private Bench() {
    }

    public static void main(String[] args) {
        int threads = SmtpClientOptions.DEFAULT_EVENT_LOOP_THREADS;
        long timeoutSeconds = 600;
        boolean sessionApi = false;
        int a = 0;
        try {
            while (a < args.length && args[a].startsWith("--")) {
                switch (args[a]) {
                    case "--threads":
                        threads = Integer.parseInt(args[a + 1]);
                        a += 2;
                        break;
                    case "--timeout-seconds":
                        timeoutSeconds = Long.parseLong(args[a + 1]);
                        a += 2;
                        break;
                    case "--api":
                        if (!args[a + 1].equals("client") && !args[a + 1].equals("session")) {
                            throw new IllegalArgumentException("--api is client or session: " + args[a + 1]);
                        }
                        sessionApi = args[a + 1].equals("session");
                        a += 2;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + args[a]);
                }
            }
            if (args.length - a != 6) {
                throw new IllegalArgumentException("expected HOST PORT C N L R");
            }
        } catch (RuntimeException e) {
            System.err.println("usage: Bench [--threads N] [--timeout-seconds S] [--api client|session] HOST PORT C N L R ("
                    + e.getMessage() + ")");
            System.exit(2);
            return;
        }
        String host = args[a];
        int port = Integer.parseInt(args[a + 1]);
        int c = Integer.parseInt(args[a + 2]);
        int n = Integer.parseInt(args[a + 3]);
        int l = Integer.parseInt(args[a + 4]);
        int r = Integer.parseInt(args[a + 5]);
        try {
            Duration timeout = Duration.ofSeconds(timeoutSeconds);
            System.out.println(sessionApi ? SessionBench.run(host, port, c, n, l, r, threads, timeout)
                    : run(host, port, c, n, l, r, threads, timeout));
            System.exit(0);
        } catch (Throwable e) {
            System.err.println("bench failed: " + e);
            System.exit(1);
        }
    }

    static String run(String host, int port, int c, int n, int l, int r, int threads, Duration timeout) {
        String[] to = Messages.recipients(r);
        Envelope envelope = Envelope.of(Messages.FROM, to);
        Messages.Template template = new Messages.Template(Messages.FROM, to, l, System.currentTimeMillis());

        SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                .relay(host, port)
                .session(SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build())
                .pool(PoolOptions.builder()
                        .maxConnectionsPerDestination(c)
                        .maxMessagesPerConnection(Integer.MAX_VALUE)
                        .maxLifetime(Duration.ofDays(1))
                        .maxIdleTime(Duration.ofHours(1))
                        .build())
                // Two messages per connection: one awaiting its final reply, the next pipelined behind it.
                .maxInFlight(2 * c)
                .maxInFlightPerDestination(2 * c)
                // -Dbench.pacing=off: without adaptive pacing (on by default), to see what it costs.
                .pacing("off".equals(System.getProperty("bench.pacing")) ? Pacing.OFF : Pacing.DEFAULT)
                .eventLoopThreads(threads)
                .build());
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try {
            int warmup = warmup(n);
            if (warmup > 0) {
                send(client, envelope, template, 0, warmup, timeout);
            }
            long alloc0 = allocatedBytes();
            long loop0 = eventLoopCpuNanos();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            send(client, envelope, template, warmup, n, timeout);
            long t1 = System.nanoTime();
            long cpu1 = os.getProcessCpuTime();
            if (Boolean.getBoolean("bench.detail")) {
                // Diagnostics on stderr (stdout keeps its one line): heap allocated per measured message, and the
                // CPU of the client's event-loop thread(s) alone (the rest of cpu_s is JIT, GC and the harness).
                System.err.printf(Locale.ROOT, "allocated_bytes_per_msg=%.0f event_loop_cpu_us_per_msg=%.1f%n",
                        (allocatedBytes() - alloc0) / (double) n, (eventLoopCpuNanos() - loop0) / 1e3 / n);
            }
            return resultLine("reactive-smtp", c, n, l, r, t1 - t0, cpu1 - cpu0);
        } finally {
            client.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    /** @return how many uncounted warm-up messages precede {@code n} measured ones: min(n/10, 2000) */
    static int warmup(int n) {
        return Math.min(n / 10, 2000);
    }

    /**
     * The one line every end-to-end peer prints on success; {@code run-matrix.sh} reads it.
     *
     * @param peer the client measured, such as {@code reactive-smtp}
     * @param wallNanos the wall time of the n measured messages
     * @param cpuNanos the process CPU time over the same period
     * @return {@code peer=P C=c N=n L=l R=r seconds=S msgs_per_s=M cpu_s=U}
     */
    static String resultLine(String peer, int c, int n, int l, int r, long wallNanos, long cpuNanos) {
        double seconds = wallNanos / 1e9;
        return String.format(Locale.ROOT, "peer=%s C=%d N=%d L=%d R=%d seconds=%.3f msgs_per_s=%.1f cpu_s=%.3f",
                peer, c, n, l, r, seconds, n / seconds, cpuNanos / 1e9);
    }

    /** @return CPU time so far of the client's event-loop threads (named reactive-smtp-...) */
    private static long eventLoopCpuNanos() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("reactive-smtp")) {
                sum += Math.max(0, threads.getThreadCpuTime(t.getId()));
            }
        }
        return sum;
    }

    /** @return bytes allocated so far by all live threads (HotSpot's per-thread counters) */
    private static long allocatedBytes() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long a : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, a);
        }
        return sum;
    }

    /** Sends messages [first, first + count) and fails unless every recipient of every one was accepted. */
    private static void send(SmtpClient client, Envelope envelope, Messages.Template template, int first, int count,
                             Duration timeout) {
        AtomicLong delivered = new AtomicLong();
        AtomicLong other = new AtomicLong();
        AtomicReference<MessageResult> firstFailure = new AtomicReference<>();
        client.sendAll(Flux.range(first, count)
                        .map(i -> OutgoingMessage.of(i, envelope, MessageContent.of(template.message(i)))))
                .doOnNext(result -> {
                    if (result.outcome() == MessageResult.Outcome.DELIVERED) {
                        delivered.incrementAndGet();
                    } else {
                        other.incrementAndGet();
                        firstFailure.compareAndSet(null, result);
                    }
                })
                .blockLast(timeout);
        if (delivered.get() != count) {
            MessageResult f = firstFailure.get();
            throw new IllegalStateException(delivered.get() + " of " + count + " messages accepted, " + other.get()
                    + " not" + (f == null ? "" : "; first: " + f + f.error().map(e -> " (" + e.getMessage() + ")").orElse("")));
        }
    }
}
