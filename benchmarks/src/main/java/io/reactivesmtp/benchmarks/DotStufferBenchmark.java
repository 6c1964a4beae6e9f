package io.reactivesmtp.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.protocol.DotStuffer;
import java.nio.charset.StandardCharsets;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The DATA encoder ({@link DotStuffer}: CRLF normalisation, dot-stuffing, terminator) on a whole message, fed
 * in 128 KiB wrapped views of a {@code byte[]} exactly as {@code MessageContent.of(byte[])} feeds it.
 *
 * <p>{@code size} is the input size in bytes; {@code shape} is {@code clean} (CRLF lines of 76 printable chars,
 * no leading dot: the zero-copy fast path) or {@code dotHeavy} (bare LF line ends and every fourth line
 * starting with a dot: the rewriting path). The primary score is messages/s; the secondary {@code bytes}
 * counter is input bytes/s, so GB/s = {@code bytes} / 1e9 (or ops/s x size).
 */
public class DotStufferBenchmark extends JmhDefaults {

    /** Chunk size of MessageContent's byte[] source (core's Sources.MEMORY_CHUNK_SIZE). */
    static final int CHUNK = 128 * 1024;

    @Param({"1024", "65536", "1048576"})
    public int size;

    @Param({"clean", "dotHeavy"})
    public String shape;

    private byte[] input;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    @Setup(Level.Trial)
    public void setUp() {
        input = "clean".equals(shape) ? clean(size) : dotHeavy(size);
    }

    @Benchmark
    public void encode(ByteCounter counter, Blackhole bh) {
        DotStuffer stuffer = new DotStuffer();
        byte[] in = input;
        for (int off = 0; off < in.length; off += CHUNK) {
            ByteBuf out = stuffer.encode(Unpooled.wrappedBuffer(in, off, Math.min(CHUNK, in.length - off)), alloc);
            bh.consume(out.readableBytes());
            out.release();
        }
        ByteBuf tail = stuffer.finish(alloc);
        bh.consume(tail.readableBytes());
        tail.release();
        counter.bytes += in.length;
    }

    /** CRLF lines of 76 printable characters, none starting with a dot; exactly {@code size} bytes. */
    static byte[] clean(int size) {
        byte[] b = new byte[size];
        int col = 0;
        for (int i = 0; i < size; i++) {
            if (col == 76) {
                b[i] = '\r';
                col++;
            } else if (col == 77) {
                b[i] = '\n';
                col = 0;
            } else {
                b[i] = (byte) ('A' + (i * 7 + col) % 26);
                col++;
            }
        }
        return b;
    }

    /**
     * Lines of 40 characters ended by a bare LF (every line needs its end rewritten), every fourth line starting
     * with a dot, and a lone "." line every 16 lines (the smuggling shape); exactly {@code size} bytes.
     */
    static byte[] dotHeavy(int size) {
        StringBuilder sb = new StringBuilder(size + 64);
        int line = 0;
        while (sb.length() < size) {
            if (line % 16 == 15) {
                sb.append(".\n");
            } else {
                if (line % 4 == 0) {
                    sb.append('.');
                }
                sb.append("the quick brown fox jumps over the lazy dog".substring(0, 39)).append('\n');
            }
            line++;
        }
        byte[] b = new byte[size];
        System.arraycopy(sb.toString().getBytes(StandardCharsets.US_ASCII), 0, b, 0, size);
        return b;
    }
}
