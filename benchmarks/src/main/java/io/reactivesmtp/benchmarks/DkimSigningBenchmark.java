package io.reactivesmtp.benchmarks;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.dkim.DkimCanonicalization;
import io.reactivesmtp.dkim.DkimSigner;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * DKIM signing throughput for 1 KB and 1 MB messages, RSA-2048 and Ed25519, relaxed/relaxed and simple/simple.
 *
 * <ul>
 *   <li>{@code sign}: {@link DkimSigner#sign(byte[])}: one pass that normalises line endings, collects the
 *       header block, canonicalises and hashes the body, then the header hash and the signature.</li>
 *   <li>{@code signedContent}: what a send costs apart from the network: {@code MessageContent.of(bytes)
 *       .signedWith(signer)} opened and drained, i.e. the hash pass on the DKIM pool threads, the signature, then
 *       the send pass (128 KiB views of the array).</li>
 * </ul>
 * The primary score is messages/s; the secondary {@code bytes} counter is message bytes/s, so MB/s =
 * {@code bytes} / 1e6.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar DkimSigningBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
 * }</pre>
 */
public class DkimSigningBenchmark extends JmhDefaults {

    @Param({"1024", "1048576"})
    public int size;

    @Param({"rsa", "ed25519"})
    public String key;

    @Param({"relaxed", "simple"})
    public String canonicalization;

    private byte[] message;
    private DkimSigner signer;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("rsa".equals(key) ? "RSA" : "Ed25519");
        if ("rsa".equals(key)) {
            g.initialize(2048);
        }
        PrivateKey privateKey = g.generateKeyPair().getPrivate();
        DkimCanonicalization c = DkimCanonicalization.valueOf(canonicalization.toUpperCase(java.util.Locale.ROOT));
        signer = DkimSigner.builder().key(privateKey).domain("example.com").selector("bench").canonicalization(c, c)
                .build();
        String header = "From: News <news@example.com>\r\nTo: reader@example.org\r\nSubject: Benchmark\r\n"
                + "Date: Sat, 28 Nov 2026 16:00:00 +0000\r\nMessage-ID: <bench@example.com>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
        byte[] head = header.getBytes(StandardCharsets.US_ASCII);
        byte[] body = text(size - head.length);
        message = new byte[size];
        System.arraycopy(head, 0, message, 0, head.length);
        System.arraycopy(body, 0, message, head.length, body.length);
    }

    @Benchmark
    public void sign(ByteCounter counter, Blackhole bh) {
        bh.consume(signer.sign(message));
        counter.bytes += message.length;
    }

    @Benchmark
    public void signedContent(ByteCounter counter, Blackhole bh) throws Exception {
        bh.consume(ContentDrain.drain(MessageContent.of(message).signedWith(signer).open(), alloc, 30));
        counter.bytes += message.length;
    }

    /** Mail-like text: CRLF lines of up to 72 characters, words separated by spaces, some double spaces. */
    static byte[] text(int size) {
        String words = "the quick brown fox jumps over the lazy dog  and then it rests a while ";
        byte[] b = new byte[Math.max(0, size)];
        int col = 0;
        for (int i = 0; i < b.length; i++) {
            if (col == 72 || i >= b.length - 2 && col > 0 && i == b.length - 2) {
                b[i] = '\r';
                col = -1;
            } else if (col == -1) {
                b[i] = '\n';
                col = 0;
                continue;
            } else {
                b[i] = (byte) words.charAt((i * 13 + col) % words.length());
            }
            col++;
        }
        return b;
    }
}
