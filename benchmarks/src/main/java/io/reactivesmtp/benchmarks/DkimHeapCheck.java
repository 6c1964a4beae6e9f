package io.reactivesmtp.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.dkim.DkimSigner;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Measures the heap a DKIM-signed send of a 50 MB message costs, for file and publisher content: it drains
 * {@code content.signedWith(rsa, ed25519).open()} exactly as the session does (hash pass, signatures, send pass)
 * and reports the peak heap in use above the baseline. Run it with a small heap to prove the bound:
 *
 * <pre>{@code
 * java -Xmx32m -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.DkimHeapCheck [MB]
 * }</pre>
 *
 * Buffers come from an unpooled heap allocator, so what the sources allocate shows up in the heap numbers.
 */
public final class DkimHeapCheck {

    private static final ByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);

    private DkimHeapCheck() {
    }

    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        long size = mb * 1_000_000L;
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        List<DkimSigner> signers = List.of(
                DkimSigner.builder().key(rsa.generateKeyPair().getPrivate()).domain("example.com").selector("rsa").build(),
                DkimSigner.builder().key(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate())
                        .domain("example.com").selector("ed").build());
        Path file = Files.createTempFile("dkim-heap-", ".eml");
        try {
            try (OutputStream out = Files.newOutputStream(file)) {
                out.write(header());
                byte[] line = line();
                for (long written = header().length; written < size; written += line.length) {
                    out.write(line);
                }
            }
            System.out.printf("max heap %d MB; message %d bytes; signers: RSA-2048 and Ed25519 (relaxed/relaxed)%n",
                    Runtime.getRuntime().maxMemory() >> 20, Files.size(file));
            measure("Path     ", MessageContent.of(file).signedWith(signers));
            measure("Publisher", MessageContent.of(new Generated(size)).signedWith(signers));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void measure(String kind, MessageContent content) throws Exception {
        System.gc();
        Thread.sleep(200);
        long baseline = heapUsed();
        List<MemoryPoolMXBean> pools = heapPools();
        pools.forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        long bytes = ContentDrain.drain(content.open(), ALLOC, 120);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long peak = 0;
        for (MemoryPoolMXBean p : pools) {
            peak += p.getPeakUsage().getUsed();
        }
        System.out.printf("%s: %d bytes out in %d ms; heap used before %.1f MB, peak (sum of pool peaks, an upper "
                + "bound) %.1f MB, i.e. at most %.1f MB above the baseline%n", kind, bytes, ms, baseline / 1e6,
                peak / 1e6, (peak - baseline) / 1e6);
    }

    private static List<MemoryPoolMXBean> heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static byte[] header() {
        return ("From: big@example.com\r\nTo: x@example.net\r\nSubject: 50 MB\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] line() {
        return "the quick brown fox jumps over the lazy dog, the quick brown fox jumps over\r\n"
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A publisher that generates the message in 64 KiB buffers on demand: the message is never in memory. */
    private static final class Generated implements Flow.Publisher<ByteBuf> {
        private final long size;

        Generated(long size) {
            this.size = size;
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuf> s) {
            byte[] header = header();
            byte[] line = line();
            s.onSubscribe(new Flow.Subscription() {
                long produced;
                boolean done;

                @Override
                public void request(long n) {
                    for (long i = 0; i < n && !done; i++) {
                        if (produced >= size) {
                            done = true;
                            s.onComplete();
                            return;
                        }
                        ByteBuf buf = Unpooled.buffer(64 * 1024);
                        if (produced == 0) {
                            buf.writeBytes(header);
                        }
                        while (buf.writableBytes() >= line.length && produced + buf.readableBytes() < size) {
                            buf.writeBytes(line);
                        }
                        produced += buf.readableBytes();
                        s.onNext(buf);
                    }
                }

                @Override
                public void cancel() {
                    done = true;
                }
            });
        }
    }
}
