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
    void anEmptyOrBackwardRangeHasNothing() {
        byte[] a = "\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(-1, ByteScan.indexOf(a, 2, 2, (byte) '\r'));
        ByteBuf buf = Unpooled.wrappedBuffer(a);
        assertEquals(-1, ByteScan.indexOf(buf, 3, 1, (byte) '\n'));
        assertEquals(false, ByteScan.hasEightBit(buf, 2, 2));
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
