package io.reactivesmtp.benchmarks;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnector;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.TlsProvider;
import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;

/**
 * Heap per idle session: opens COUNT sessions with the core's {@link SmtpConnector} (one event-loop thread, the
 * client's default), each greeted and EHLO'd (and with {@code --starttls}, STARTTLS'd, the certificate and host name
 * verified, EHLO'd again), keeps them all open and idle, and measures the heap they hold after GC.
 * <pre>
 * java -Xmx1g -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.IdleSessions \
 *     HOST PORT COUNT [--starttls jdk|openssl --ca CA.pem] [--concurrency K] [--client core|reactor [--ramp R]]
 * idle_sessions=10000 tls=none heap_per_session_bytes=... heap_total_mb=... rss_per_session_bytes=... direct_mb=... open_seconds=...
 * </pre>
 * Method: build the options (and the TLS context) and open then close a warm-up batch of sessions, so that classes,
 * caches and the allocator's first chunks are in the baseline; GC; baseline = used heap
 * ({@code MemoryMXBean#getHeapMemoryUsage}); open COUNT sessions, at most K (default 256) connecting at a time; when
 * all are ready, GC again and measure; {@code heap_per_session_bytes} = (used - baseline) / COUNT. "GC" is
 * {@code System.gc()} three times with short pauses in between (a full collection with G1, the default).
 * {@code heap_total_mb} is the used heap with all sessions open. The other fields help read the heap figure: the
 * process RSS growth per session (VmRSS: it includes what the heap figure misses, such as direct buffers and
 * OpenSSL's native state, but also heap pages touched for the first time, so it is rough), the Netty allocator's
 * direct memory in use with all sessions open, and how long opening them took.
 *
 * <p>{@code --client reactor} measures the sessions as {@link SmtpClient}'s pool holds them instead: see
 * {@link #runReactor}.
 *
 * <p>With STARTTLS the client trusts only the sink's CA ({@code --ca}, written by {@link SinkServer}) and verifies the
 * host name {@code localhost} while connecting to HOST (TlsOptions' server name). Exits 0 when every session opened
 * (over TLS when asked) and was still open at the measurement; 1 otherwise; 2 on a usage error.
 */
public final class IdleSessions {

    private static final int WARMUP_SESSIONS = 200;
    private static final Duration RAMP_PAUSE = Duration.ofMillis(100);

    private IdleSessions() {
    }

    public static void main(String[] args) {
        String host;
        int port;
        int count;
        String tls = "none";
        Path ca = null;
        int concurrency = 256;
        boolean reactor = false;
        int ramp = 200;
        try {
            List<String> positional = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--starttls":
                        tls = args[++i].toLowerCase(Locale.ROOT);
                        if (!tls.equals("jdk") && !tls.equals("openssl")) {
                            throw new IllegalArgumentException("--starttls jdk|openssl");
                        }
                        break;
                    case "--ca":
                        ca = Path.of(args[++i]);
                        break;
                    case "--concurrency":
                        concurrency = Integer.parseInt(args[++i]);
                        break;
                    case "--client":
                        String client = args[++i];
                        if (!client.equals("core") && !client.equals("reactor")) {
                            throw new IllegalArgumentException("--client core|reactor");
                        }
                        reactor = client.equals("reactor");
                        break;
                    case "--ramp":
                        ramp = Integer.parseInt(args[++i]);
                        break;
                    default:
                        positional.add(args[i]);
                }
            }
            if (positional.size() != 3) {
                throw new IllegalArgumentException("expected HOST PORT COUNT");
            }
            if (!tls.equals("none") && ca == null) {
                throw new IllegalArgumentException("--starttls needs --ca CA.pem (the sink's CA)");
            }
            host = positional.get(0);
            port = Integer.parseInt(positional.get(1));
            count = Integer.parseInt(positional.get(2));
        } catch (RuntimeException e) {
            System.err.println("usage: IdleSessions HOST PORT COUNT [--starttls jdk|openssl --ca CA.pem]"
                    + " [--concurrency K] [--client core|reactor [--ramp PER_SECOND]] (" + e.getMessage() + ")");
            System.exit(2);
            return;
        }
        try {
            System.out.println(reactor ? runReactor(host, port, count, tls, ca, ramp)
                    : run(host, port, count, tls, ca, concurrency));
            System.exit(0);
        } catch (Throwable e) {
            System.err.println("idle sessions failed: " + e);
            System.exit(1);
        }
    }

    private static SmtpSessionOptions sessionOptions(String tls, Path ca) {
        if (tls.equals("none")) {
            return SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build();
        }
        return SmtpSessionOptions.builder()
                .tls(TlsOptions.builder()
                        .policy(TlsPolicy.REQUIRED)
                        .trustPem(ca)
                        .serverName("localhost")
                        .provider(tls.equals("jdk") ? TlsProvider.JDK : TlsProvider.OPENSSL)
                        .build())
                .build();
    }

    private static String tlsName(String tls) {
        return tls.equals("none") ? "none" : tls.equals("jdk") ? "starttls-jdk" : "starttls-openssl";
    }

    static String run(String host, int port, int count, String tls, Path ca, int concurrency) throws Exception {
        SmtpSessionOptions options = sessionOptions(tls, ca);
        try (SmtpConnector connector = SmtpConnector.create()) {
            // Warm-up: classes, TLS context and session caches, allocator chunks, JIT of the connect path.
            List<SmtpSession> warm = open(connector, host, port, options, Math.min(WARMUP_SESSIONS, count), concurrency,
                    !tls.equals("none"));
            closeAll(warm);
            warm = null;

            long heap0 = usedHeapAfterGc();
            long rss0 = rssBytes();
            long t0 = System.nanoTime();
            List<SmtpSession> sessions = open(connector, host, port, options, count, concurrency, !tls.equals("none"));
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            long heap1 = usedHeapAfterGc();
            long rss1 = rssBytes();
            int open = 0;
            for (SmtpSession s : sessions) {
                if (s.channel().isActive() && s.isReusable()) {
                    open++;
                }
            }
            if (open != count) {
                throw new IllegalStateException(open + " of " + count + " sessions still open and idle at the measurement");
            }
            String line = String.format(Locale.ROOT,
                    "idle_sessions=%d tls=%s heap_per_session_bytes=%d heap_total_mb=%.1f rss_per_session_bytes=%d"
                            + " direct_mb=%.1f open_seconds=%.1f",
                    count, tlsName(tls), (heap1 - heap0) / count, heap1 / 1048576.0, rss0 < 0 ? -1 : (rss1 - rss0) / count,
                    directBytes() / 1048576.0, openSeconds);
            closeAll(sessions);
            return line;
        }
    }

    /**
     * {@code --client reactor}: the sessions as the pool of {@link SmtpClient} holds them (reactor-netty connection,
     * pool slot, session). The pool opens connections only to send, so COUNT messages (one recipient, a short body)
     * are sent together (started at {@code --ramp} per second, default 200) with maxConnectionsPerDestination = maxInFlight = COUNT
     * and adaptive pacing off; the
     * connections then sit idle in the pool (idle time and lifetime one day). The pool reuses a connection that
     * finished early instead of opening another unless the server holds each message long enough (smtp-sink
     * {@code -w 10}: 10 s before the reply to DATA), so the line reports how many were opened ({@code idle_sessions})
     * and divides by that. The warm-up is 200 such sends whose connections stay in the pool and in the baseline.
     */
    static String runReactor(String host, int port, int count, String tls, Path ca, int ramp) throws Exception {
        int batch = Math.max(1, ramp / 10);
        SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                .relay(host, port)
                .session(sessionOptions(tls, ca))
                .pool(PoolOptions.builder()
                        .maxConnectionsPerDestination(count + WARMUP_SESSIONS)
                        .maxConnections(count + WARMUP_SESSIONS)
                        .maxPendingAcquires(count + WARMUP_SESSIONS)
                        .pendingAcquireTimeout(Duration.ofMinutes(10))
                        .maxMessagesPerConnection(Integer.MAX_VALUE)
                        .maxLifetime(Duration.ofDays(1))
                        .maxIdleTime(Duration.ofDays(1))
                        .build())
                .maxInFlight(count + WARMUP_SESSIONS)
                .maxInFlightPerDestination(count + WARMUP_SESSIONS)
                // What is measured is a pooled session's memory, not pacing: with pacing on (the default) the sink,
                // which holds every message 60 s, would see 4 sessions at once at first, one more per 60 s round,
                // and the run would not open COUNT sessions within its 10-minute bound.
                .pacing(Pacing.OFF)
                .build());
        try {
            Envelope envelope = Envelope.of("sender@example.com", "rcpt01@example.com");
            MessageContent content = MessageContent.of(Messages.message(0, "sender@example.com",
                    new String[] {"rcpt01@example.com"}, 100, System.currentTimeMillis()));
            sendAtOnce(client, envelope, content, Math.min(WARMUP_SESSIONS, count), batch);
            int open0 = client.openConnections();
            long heap0 = usedHeapAfterGc();
            long rss0 = rssBytes();
            long t0 = System.nanoTime();
            sendAtOnce(client, envelope, content, count, batch);
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            long heap1 = usedHeapAfterGc();
            long rss1 = rssBytes();
            int opened = client.openConnections() - open0;
            if (opened <= 0) {
                throw new IllegalStateException("no connection was opened");
            }
            return String.format(Locale.ROOT,
                    "idle_sessions=%d tls=%s client=reactor heap_per_session_bytes=%d heap_total_mb=%.1f"
                            + " rss_per_session_bytes=%d direct_mb=%.1f open_seconds=%.1f",
                    opened, tlsName(tls), (heap1 - heap0) / opened, heap1 / 1048576.0,
                    rss0 < 0 ? -1 : (rss1 - rss0) / opened, directBytes() / 1048576.0, openSeconds);
        } finally {
            client.disposeLater().block(Duration.ofMinutes(2));
        }
    }

    /**
     * Sends {@code n} copies of a message, started {@code batch} every {@code RAMP_PAUSE} (connects faster than the
     * server accepts overflow its accept queue: see the benchmarks README), all in flight together; fails unless
     * every one was delivered.
     */
    private static void sendAtOnce(SmtpClient client, Envelope envelope, MessageContent content, int n, int batch) {
        Long delivered = Flux.range(0, n)
                .buffer(batch)
                .delayElements(RAMP_PAUSE)
                .flatMapIterable(b -> b)
                .flatMap(i -> client.send(envelope, content), n)
                .filter(report -> report.outcome() == SendReport.Outcome.DELIVERED)
                .count()
                .block(Duration.ofMinutes(10));
        if (delivered == null || delivered != n) {
            throw new IllegalStateException(delivered + " of " + n + " messages delivered");
        }
    }

    /** Opens {@code n} sessions, at most {@code concurrency} connecting at once; fails if any does not open. */
    private static List<SmtpSession> open(SmtpConnector connector, String host, int port, SmtpSessionOptions options,
                                          int n, int concurrency, boolean expectTls) throws InterruptedException {
        Semaphore permits = new Semaphore(concurrency);
        List<SmtpSession> sessions = new ArrayList<>(n);
        AtomicInteger failures = new AtomicInteger();
        AtomicReference<Throwable> first = new AtomicReference<>();
        for (int i = 0; i < n; i++) {
            permits.acquire();
            connector.connect(host, port, options).whenComplete((session, error) -> {
                permits.release();
                if (error == null && expectTls && session.tls().isEmpty()) {
                    error = new IllegalStateException("session opened without TLS");
                    session.close();
                }
                if (error != null) {
                    failures.incrementAndGet();
                    first.compareAndSet(null, error);
                    return;
                }
                synchronized (sessions) {
                    sessions.add(session);
                }
            });
            if (failures.get() > 0) {
                break;
            }
        }
        if (!permits.tryAcquire(concurrency, 10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("sessions still connecting after 10 minutes");
        }
        if (failures.get() > 0) {
            closeAll(sessions);
            throw new IllegalStateException(failures.get() + " sessions failed to open; first: " + first.get(), first.get());
        }
        synchronized (sessions) {
            return sessions;
        }
    }

    private static void closeAll(List<SmtpSession> sessions) {
        List<CompletableFuture<Void>> closing = new ArrayList<>(sessions.size());
        synchronized (sessions) {
            for (SmtpSession s : sessions) {
                closing.add(s.close());
            }
        }
        try {
            CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(2, TimeUnit.MINUTES);
        } catch (Exception e) {
            // The measurement is done; a slow QUIT does not change it.
        }
    }

    static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** @return VmRSS of this process in bytes, or -1 where /proc is missing */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /** @return direct memory the default Netty allocator holds, or 0 when it has no metric */
    static long directBytes() {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        if (alloc instanceof ByteBufAllocatorMetricProvider) {
            ByteBufAllocatorMetric metric = ((ByteBufAllocatorMetricProvider) alloc).metric();
            return metric.usedDirectMemory();
        }
        return 0;
    }
}
