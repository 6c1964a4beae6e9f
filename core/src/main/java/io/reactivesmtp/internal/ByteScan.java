package io.reactivesmtp.internal;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Scans of message content eight bytes at a time (SWAR: SIMD within a register): the 8-bit check that decides
 * BODY=8BITMIME and the line-break search of the DATA encoder. A message body is scanned once or twice per send,
 * so a byte-at-a-time loop over 100 KB costs tens of microseconds per message; one 64-bit load and a few
 * arithmetic operations per eight bytes cost a fraction of that.
 *
 * <p>Array-backed buffers are read through their array (one intrinsic 64-bit load per word); other buffers
 * through Netty's own SWAR search ({@link ByteBuf#indexOf}) or 64-bit reads.
 */
public final class ByteScan {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;

    private ByteScan() {
    }

    /**
     * @return true if a byte of {@code a[from, to)} has its high bit set (is not US-ASCII)
     */
    public static boolean hasEightBit(byte[] a, int from, int to) {
        int i = from;
        long acc = 0;
        for (int last = to - Long.BYTES; i <= last; i += Long.BYTES) {
            acc |= (long) LONGS.get(a, i);
        }
        for (; i < to; i++) {
            acc |= a[i];
        }
        return (acc & HIGH_BITS) != 0;
    }

    /**
     * @return true if a byte of {@code buf}'s {@code [from, to)} (absolute indexes) has its high bit set
     */
    public static boolean hasEightBit(ByteBuf buf, int from, int to) {
        if (buf.hasArray()) {
            int offset = buf.arrayOffset();
            return hasEightBit(buf.array(), offset + from, offset + to);
        }
        int i = from;
        long acc = 0;
        for (int last = to - Long.BYTES; i <= last; i += Long.BYTES) {
            acc |= buf.getLongLE(i);
        }
        for (; i < to; i++) {
            acc |= buf.getByte(i);
        }
        return (acc & HIGH_BITS) != 0;
    }

    /**
     * @return the absolute index of the first {@code value} in {@code buf}'s {@code [from, to)}, or -1; an empty
     *     range ({@code to <= from}) has none
     */
    public static int indexOf(ByteBuf buf, int from, int to, byte value) {
        if (to <= from) {
            return -1;
        }
        if (buf.hasArray()) {
            int offset = buf.arrayOffset();
            int found = indexOf(buf.array(), offset + from, offset + to, value);
            return found < 0 ? -1 : found - offset;
        }
        return buf.indexOf(from, to, value);
    }

    /**
     * @return the index of the first {@code value} in {@code a[from, to)}, or -1
     */
    public static int indexOf(byte[] a, int from, int to, byte value) {
        long pattern = ONES * (value & 0xFF);
        int i = from;
        for (int last = to - Long.BYTES; i <= last; i += Long.BYTES) {
            long x = (long) LONGS.get(a, i) ^ pattern;
            // A zero byte of x is a match. The lowest flagged byte is always a true match (a borrow only
            // flags bytes above a zero byte), and little-endian order makes it the first in memory.
            long found = (x - ONES) & ~x & HIGH_BITS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (a[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
