package io.reactivesmtp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The word-at-a-time scans against a byte-at-a-time loop: every range of short arrays (so every alignment and
 * every tail length), every byte value as the target, and the same through heap, direct, sliced and composite
 * buffers.
 */
class ByteScanTest {

    private static final int LENGTH = 40;

    @Test
    void indexOfMatchesTheNaiveLoopForEveryRangeAndByteValue() {
        SplittableRandom random = new SplittableRandom(42);
        for (int round = 0; round < 40; round++) {
            byte[] a = sample(random, round);
            for (int value = 0; value < 256; value++) {
                byte v = (byte) value;
                for (int from = 0; from <= LENGTH; from++) {
                    for (int to = from; to <= LENGTH; to++) {
                        assertEquals(naiveIndexOf(a, from, to, v), ByteScan.indexOf(a, from, to, v),
                                () -> "indexOf(" + (v & 0xFF) + ") in a range of " + hex(a));
                    }
                }
            }
        }
    }

    @Test
    void hasEightBitMatchesTheNaiveLoopForEveryRange() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 400; round++) {
            byte[] a = new byte[LENGTH];
            for (int i = 0; i < a.length; i++) {
                a[i] = (byte) random.nextInt(128);
            }
            if (round % 4 != 0) {
                // One high byte, anywhere, with any value from 0x80 to 0xFF.
                a[random.nextInt(LENGTH)] = (byte) (0x80 + random.nextInt(128));
            }
            for (int from = 0; from <= LENGTH; from++) {
                for (int to = from; to <= LENGTH; to++) {
                    assertEquals(naiveHasEightBit(a, from, to), ByteScan.hasEightBit(a, from, to),
                            () -> "hasEightBit of " + hex(a));
                }
            }
        }
    }

    @Test
    void buffersOfEveryKindGiveAbsoluteIndexes() {
        SplittableRandom random = new SplittableRandom(3);
        for (int round = 0; round < 20; round++) {
            byte[] a = sample(random, round);
            a[random.nextInt(LENGTH)] = (byte) 0x80;
            for (Function<byte[], ByteBuf> kind : kinds()) {
                ByteBuf buf = kind.apply(a);
                try {
                    for (int from = 0; from <= LENGTH; from++) {
                        for (int to = from; to <= LENGTH; to++) {
                            for (byte v : new byte[] {'\r', '\n', '.', 'a', (byte) 0x80, 0}) {
                                assertEquals(naiveIndexOf(a, from, to, v), ByteScan.indexOf(buf, from, to, v),
                                        buf.getClass().getSimpleName() + " indexOf " + v);
                            }
                            assertEquals(naiveHasEightBit(a, from, to), ByteScan.hasEightBit(buf, from, to),
                                    buf.getClass().getSimpleName() + " hasEightBit");
                        }
                    }
                } finally {
                    buf.release();
                }
            }
        }
    }

    @Test
    void isCleanCrlfMatchesTheNaiveLoopForEveryRangeAndState() {
        SplittableRandom random = new SplittableRandom(11);
        int clean = 0;
        int dirty = 0;
        for (int round = 0; round < 600; round++) {
            byte[] a = crlfText(random, round % 5);
            for (int from = 0; from <= LENGTH; from++) {
                for (int to = from; to <= LENGTH; to++) {
                    for (int flags = 0; flags < 4; flags++) {
                        boolean atLineStart = (flags & 1) != 0;
                        boolean stuffDots = (flags & 2) != 0;
                        boolean expected = naiveIsCleanCrlf(a, from, to, atLineStart, stuffDots);
                        assertEquals(expected, ByteScan.isCleanCrlf(a, from, to, atLineStart, stuffDots),
                                () -> "isCleanCrlf(" + atLineStart + ", " + stuffDots + ") in a range of " + hex(a));
                        if (to - from >= 16) {
                            if (expected) {
                                clean++;
                            } else {
                                dirty++;
                            }
                        }
                    }
                }
            }
        }
        // Both answers are common among ranges long enough for the word loop, so neither side is untested.
        assertEquals(true, clean > 10_000 && dirty > 10_000, "clean " + clean + ", dirty " + dirty);
    }

    @Test
    void isCleanCrlfReadsHeapDirectAndSlicedBuffersAndLeavesCompositesToTheLineScan() {
        SplittableRandom random = new SplittableRandom(5);
        for (int round = 0; round < 40; round++) {
            byte[] a = crlfText(random, round % 3);
            for (Function<byte[], ByteBuf> kind : kinds()) {
                ByteBuf buf = kind.apply(a);
                try {
                    boolean single = buf.nioBufferCount() == 1;
                    for (int from = 0; from <= LENGTH; from++) {
                        for (int to = from; to <= LENGTH; to++) {
                            boolean expected = single && naiveIsCleanCrlf(a, from, to, true, true);
                            assertEquals(expected, ByteScan.isCleanCrlf(buf, from, to, true, true),
                                    () -> buf.getClass().getSimpleName() + " isCleanCrlf in " + hex(a));
                        }
                    }
                } finally {
                    buf.release();
                }
            }
        }
    }

    @Test
    void anEmptyOrBackwardRangeHasNothing() {
        byte[] a = "\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(-1, ByteScan.indexOf(a, 2, 2, (byte) '\r'));
        ByteBuf buf = Unpooled.wrappedBuffer(a);
        assertEquals(-1, ByteScan.indexOf(buf, 3, 1, (byte) '\n'));
        assertEquals(false, ByteScan.hasEightBit(buf, 2, 2));
    }

    /**
     * CRLF lines of 0 to 9 letters; {@code defects} times a byte is replaced by a CR, an LF, a dot or a letter, so
     * a range is often clean (word loop to the end) and often not (bare CR or LF, dot at a line start, CR last).
     */
    private static byte[] crlfText(SplittableRandom random, int defects) {
        byte[] a = new byte[LENGTH];
        int i = 0;
        while (i < LENGTH) {
            for (int n = random.nextInt(10); n > 0 && i < LENGTH; n--) {
                a[i++] = (byte) ('a' + random.nextInt(26));
            }
            if (i < LENGTH) {
                a[i++] = '\r';
            }
            if (i < LENGTH) {
                a[i++] = '\n';
            }
        }
        for (int d = 0; d < defects; d++) {
            a[random.nextInt(LENGTH)] = (byte) "\r\n.x".charAt(random.nextInt(4));
        }
        // Bytes that pass unchanged but trip the word loop's quick filter or look like CR/LF in their low seven
        // bits (TAB, NUL, 0x0E, 0x8A, 0x8D, 0xFF): the exact test must tell them from line breaks.
        for (int n = random.nextInt(3); n > 0; n--) {
            a[random.nextInt(LENGTH)] = (byte) "\t\0\u000e\u008a\u008d\u00ff".charAt(random.nextInt(6));
        }
        return a;
    }

    private static boolean naiveIsCleanCrlf(byte[] a, int from, int to, boolean atLineStart, boolean stuffDots) {
        boolean lineStart = atLineStart;
        for (int i = from; i < to; i++) {
            if (a[i] == '\r' && (i + 1 >= to || a[i + 1] != '\n')) {
                return false; // a bare CR, or a CR whose LF is beyond the range
            }
            if (a[i] == '\n' && (i == from || a[i - 1] != '\r')) {
                return false;
            }
            if (stuffDots && lineStart && a[i] == '.') {
                return false;
            }
            lineStart = a[i] == '\n';
        }
        return true;
    }

    /** Text-like bytes with line breaks and dots, and now and then every byte value (to exercise borrows). */
    private static byte[] sample(SplittableRandom random, int round) {
        byte[] a = new byte[LENGTH];
        for (int i = 0; i < a.length; i++) {
            a[i] = round % 3 == 0 ? (byte) random.nextInt(256) : (byte) "ab.\r\n\0\u007f".charAt(random.nextInt(7));
        }
        return a;
    }

    /** Heap, direct, a slice at an offset of a larger heap buffer, and a composite of two parts. */
    private static List<Function<byte[], ByteBuf>> kinds() {
        return List.of(
                Unpooled::wrappedBuffer,
                a -> Unpooled.directBuffer(a.length).writeBytes(a),
                a -> {
                    ByteBuf outer = Unpooled.buffer(a.length + 11).writeBytes(new byte[5]).writeBytes(a)
                            .writeBytes(new byte[6]);
                    ByteBuf slice = outer.retainedSlice(5, a.length);
                    outer.release(); // the slice holds the only reference: releasing it frees the outer buffer
                    return slice;
                },
                a -> Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(a, 0, 13), Unpooled.wrappedBuffer(a, 13, a.length - 13)));
    }

    private static int naiveIndexOf(byte[] a, int from, int to, byte v) {
        for (int i = from; i < to; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static boolean naiveHasEightBit(byte[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (a[i] < 0) {
                return true;
            }
        }
        return false;
    }

    private static String hex(byte[] a) {
        StringBuilder s = new StringBuilder();
        for (byte b : a) {
            s.append(String.format("%02x", b & 0xFF));
        }
        return s.toString();
    }
}
