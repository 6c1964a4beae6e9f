package io.reactivesmtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.testing.Properties;
import io.reactivesmtp.testing.StrictDataReader;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties of the DATA encoder over arbitrary content and arbitrary chunking: a strict server always reads
 * back exactly one message, equal to the CRLF-normalised input.
 */
class DotStufferPropertyTest {

    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @Test
    void strictServerReadsBackTheNormalisedContent() {
        Properties.forAll(1000, random -> {
            byte[] content = Properties.smtpContent(random, 300);
            byte[] wire = encodeInChunks(content, cuts(random));
            // The strict reader fails on bare CR/LF, a missing terminator, or bytes after the first terminator,
            // so passing it also proves there is exactly one terminator.
            assertThat(StrictDataReader.read(wire)).isEqualTo(StrictDataReader.normaliseCrlf(content));
        });
    }

    @Test
    void terminatorAppearsOnlyAtTheEnd() {
        Properties.forAll(1000, random -> {
            byte[] wire = encodeInChunks(Properties.smtpContent(random, 300), cuts(random));
            int end = wire.length;
            assertThat(end).isGreaterThanOrEqualTo(3);
            // The wire begins at a line start (right after the 354), so a '.' line at offset 0 would end it too.
            if (end > 3) {
                assertThat(wire[0] == '.' && wire[1] == '\r' && wire[2] == '\n').as("terminator at start").isFalse();
            }
            int first = indexOf(wire, new byte[] {'\r', '\n', '.', '\r', '\n'});
            assertThat(first).as("first CRLF.CRLF").isEqualTo(end == 3 ? -1 : end - 5);
            assertThat(wire[end - 3]).isEqualTo((byte) '.');
            assertThat(wire[end - 2]).isEqualTo((byte) '\r');
            assertThat(wire[end - 1]).isEqualTo((byte) '\n');
        });
    }

    @Test
    void largeChunksBeyondTheHeadroomAreStillCorrect() {
        Properties.forAll(8, random -> {
            // Repeats a pattern past 64 KiB of rewritten bytes in one chunk, so the output buffer has to grow.
            byte[] pattern = Properties.smtpContent(random, 300);
            byte[] content = new byte[100 * 1024];
            byte[] unit = pattern.length == 0 ? new byte[] {'\n', '.'} : pattern;
            for (int i = 0; i < content.length; i++) {
                content[i] = unit[i % unit.length];
            }
            byte[] wire = encodeInChunks(content, List.of(content.length));
            assertThat(StrictDataReader.read(wire)).isEqualTo(StrictDataReader.normaliseCrlf(content));
        });
    }

    /** Chunk sizes, used in turn: 0 gives empty chunks, large values few chunks. */
    private static List<Integer> cuts(SplittableRandom random) {
        List<Integer> cuts = new ArrayList<>();
        int n = 1 + random.nextInt(20);
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(10);
            cuts.add(kind < 6 ? random.nextInt(5) : kind < 9 ? 5 + random.nextInt(36) : 41 + random.nextInt(360));
        }
        return cuts;
    }

    /** Splits, encodes and finishes; checks that every input and output buffer ends up released. */
    static byte[] encodeInChunks(byte[] content, List<Integer> cuts) {
        DotStuffer stuffer = new DotStuffer();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        List<ByteBuf> seen = new ArrayList<>();
        boolean allZero = cuts.stream().allMatch(c -> c == 0);
        int pos = 0;
        int turn = 0;
        // At least one chunk, so empty content also goes through encode once.
        while (pos < content.length || turn == 0) {
            int remaining = content.length - pos;
            int size = allZero && turn >= cuts.size() ? remaining : Math.min(cuts.get(turn % cuts.size()), remaining);
            ByteBuf in = chunk(content, pos, size, turn);
            seen.add(in);
            ByteBuf out = stuffer.encode(in, ALLOC);
            seen.add(out);
            append(wire, out);
            pos += size;
            turn++;
        }
        ByteBuf tail = stuffer.finish(ALLOC);
        // The terminator is a duplicate of a shared read-only buffer, which a release leaves alone.
        assertThat(tail.isReadOnly()).as("shared terminator").isTrue();
        append(wire, tail);
        for (ByteBuf buf : seen) {
            assertThat(buf == Unpooled.EMPTY_BUFFER || buf.refCnt() == 0).as("buffer released").isTrue();
        }
        return wire.toByteArray();
    }

    /** Varies the buffer kind so both heap and direct, offset and plain, buffers go through the encoder. */
    private static ByteBuf chunk(byte[] content, int pos, int size, int turn) {
        switch (turn % 3) {
            case 0:
                return Unpooled.wrappedBuffer(content, pos, size);
            case 1:
                return ALLOC.directBuffer(size).writeBytes(content, pos, size);
            default:
                // Bytes before the reader index must be ignored.
                ByteBuf buf = ALLOC.heapBuffer(size + 3).writeBytes(new byte[] {'.', '\n', '\r'});
                buf.writeBytes(content, pos, size);
                buf.readerIndex(3);
                return buf;
        }
    }

    private static void append(ByteArrayOutputStream wire, ByteBuf out) {
        try {
            byte[] bytes = new byte[out.readableBytes()];
            out.getBytes(out.readerIndex(), bytes);
            wire.write(bytes, 0, bytes.length);
        } finally {
            out.release();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
