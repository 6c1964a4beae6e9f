package io.reactivesmtp.benchmarks;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * One big message from a file, to show that sending streams the content instead of holding it: run with a small heap.
 * <pre>
 * java -Xmx64m -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.BigMessage HOST PORT SIZE_MB [FILE]
 * size_mb=1024 seconds=... mb_per_s=... peak_heap_mb=... peak_direct_mb=... ok=true
 * </pre>
 * The file (default {@code /tmp/reactive-smtp-big-SIZE_MBmb.eml}) is written first unless it already exists with the
 * right size: headers like {@link Messages}' and a body of 76-char printable lines + CRLF, no line starting with a dot,
 * SIZE_MB x 1 MiB bytes in all. Then the reactive client ({@link SmtpClient}, one event-loop thread, no TLS) sends it
 * once from that {@link Path} ({@code MessageContent.of(Path)}) to one recipient.
 *
 * <p>{@code peak_heap_mb} is the sum over the heap memory pools (G1 eden, survivor and old gen) of their peak usage
 * ({@code MemoryPoolMXBean#getPeakUsage}), the peaks reset after the client was built and just before the send; the
 * pools can peak at different moments, so the sum is an upper bound of the real peak. {@code peak_direct_mb} is the
 * highest direct memory in use (the JDK's "direct" buffer pool plus Netty's count of its cleaner-less direct
 * buffers, which that pool does not see), sampled every 20 ms during the send. {@code seconds} is the wall time of the send. Exits 0 with {@code ok=true} when the server
 * accepted the message; otherwise prints {@code ok=false} and the reason, and exits 1.
 */
public final class BigMessage {

    private BigMessage() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: BigMessage HOST PORT SIZE_MB [FILE]");
            System.exit(2);
            return;
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int sizeMb = Integer.parseInt(args[2]);
        Path file = Path.of(args.length == 4 ? args[3] : "/tmp/reactive-smtp-big-" + sizeMb + "mb.eml");
        long size = sizeMb * 1024L * 1024L;
        ensureFile(file, size);

        SmtpClient client = client(host, port);
        String result;
        boolean ok = false;
        try {
            Envelope envelope = Envelope.of("sender@example.com", "rcpt01@example.com");
            MessageContent content = MessageContent.of(file);
            Run run = Run.of(() -> client.send(envelope, content));
            ok = run.ok();
            result = String.format(Locale.ROOT,
                    "size_mb=%d seconds=%.3f mb_per_s=%.1f peak_heap_mb=%.1f peak_direct_mb=%.1f max_heap_mb=%.0f ok=%s",
                    sizeMb, run.seconds(), sizeMb / run.seconds(), run.peakHeap() / 1048576.0,
                    run.peakDirect() / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0, ok) + run.errorField();
        } finally {
            client.disposeLater().block(Duration.ofSeconds(10));
        }
        System.out.println(result);
        System.exit(ok ? 0 : 1);
    }

    /** @return a client for a plain-text sink (no TLS) */
    static SmtpClient client(String host, int port) {
        return SmtpClient.create(SmtpClientOptions.builder()
                .relay(host, port)
                .session(SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build())
                .build());
    }

    /**
     * One send, measured: wall time, the sum of the heap pools' peaks from just before it (an upper bound) and the
     * highest direct memory sampled every 20 ms.
     *
     * @param seconds wall time of the send
     * @param peakHeap bytes
     * @param peakDirect bytes
     * @param ok whether the server accepted the message
     * @param error why not, or null
     */
    record Run(double seconds, long peakHeap, long peakDirect, boolean ok, String error) {

        static Run of(Supplier<Mono<SendReport>> send) throws InterruptedException {
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                pool.resetPeakUsage();
            }
            DirectSampler direct = new DirectSampler();
            direct.start();
            long t0 = System.nanoTime();
            String error = null;
            SendReport report = null;
            try {
                report = send.get().block(Duration.ofHours(1));
            } catch (RuntimeException e) {
                error = e.toString();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            direct.interrupt();
            direct.join();
            long peakHeap = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peakHeap += pool.getPeakUsage().getUsed();
                }
            }
            boolean ok = false;
            if (report != null) {
                ok = report.outcome() == SendReport.Outcome.DELIVERED;
                if (!ok) {
                    error = "not accepted: " + report;
                }
            }
            return new Run(seconds, peakHeap, direct.peak, ok, error);
        }

        /** @return {@code  error="..."} for the result line, or nothing */
        String errorField() {
            return error == null ? "" : " error=\"" + error.replace('"', '\'') + "\"";
        }
    }

    /** Highest JDK direct buffer pool usage seen while it runs. */
    static final class DirectSampler extends Thread {
        volatile long peak;

        DirectSampler() {
            super("direct-sampler");
            setDaemon(true);
        }

        @Override
        public void run() {
            java.lang.management.BufferPoolMXBean directPool = null;
            for (java.lang.management.BufferPoolMXBean p
                    : ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
                if (p.getName().equals("direct")) {
                    directPool = p;
                }
            }
            if (directPool == null) {
                return;
            }
            while (true) {
                peak = Math.max(peak, used(directPool));
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    peak = Math.max(peak, used(directPool));
                    return;
                }
            }
        }

        /** The JDK's direct buffers plus Netty's cleaner-less ones, which only Netty's counter sees (-1: none). */
        private static long used(java.lang.management.BufferPoolMXBean directPool) {
            return directPool.getMemoryUsed() + Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory());
        }
    }

    /** Writes the message file unless one of the right size is there (written to a temporary name, then moved). */
    static void ensureFile(Path file, long size) throws IOException {
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return;
        }
        byte[] headers = ("Date: " + Messages.date(System.currentTimeMillis()) + "\r\n"
                + "From: <sender@example.com>\r\n"
                + "To: rcpt01@example.com\r\n"
                + "Subject: reactive-smtp big message benchmark\r\n"
                + "Message-ID: <big." + size + "@bench.reactive-smtp.example>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "Content-Transfer-Encoding: 7bit\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
        if (size < headers.length + 3) {
            throw new IllegalArgumentException("size too small: " + size);
        }
        // 1 MiB blocks of whole 78-byte lines (13442 lines = 1048476 bytes), then Messages.body for the rest.
        long bodySize = size - headers.length;
        byte[] block = Messages.body(78 * 13442);
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            out.write(headers);
            long left = bodySize;
            while (left > block.length + 78) {
                out.write(block);
                left -= block.length;
            }
            out.write(Messages.body((int) left));
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        if (Files.size(file) != size) {
            throw new IllegalStateException("wrote " + Files.size(file) + " bytes instead of " + size);
        }
    }
}
