package io.reactivesmtp.internal;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Scans of message content eight bytes at a time (SWAR: SIMD within a register): the 8-bit check that decides
 * BODY=8BITMIME, and the DATA encoder's check that a chunk can go out unchanged and its line-break search. A
 * message body is scanned once or twice per send, so a byte-at-a-time loop over 100 KB costs tens of microseconds
 * per message; one 64-bit load and a few arithmetic operations per eight bytes cost a fraction of that.
 *
 * <p>Array-backed buffers are read through their array (one intrinsic 64-bit load per word); other buffers
 * through Netty's own SWAR search ({@link ByteBuf#indexOf}) or 64-bit reads.
 */
public final class ByteScan {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_SEVEN = 0x7F7F7F7F7F7F7F7FL;
    private static final long CRS = ONES * '\r';
    private static final long LFS = ONES * '\n';
    private static final long DOTS = ONES * '.';
    /** Every byte 0x0E: a byte below it is a control that may be CR (0x0D) or LF (0x0A). */
    private static final long BELOW_SO = ONES * 0x0E;
    /** isCleanCrlf's state between words: the previous byte was a CR (bit 7) or an LF (bit 15); or the range is not clean. */
    private static final long AFTER_CR = 0x80L;
    private static final long AFTER_LF = 0x8000L;
    private static final long DIRTY = -1L;

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

    /**
     * The DATA encoder's fast path in one pass, eight bytes at a time and without a branch per line: whether
     * {@code a[from, to)} can go on the wire unchanged, that is every CR is followed by an LF, every LF follows a CR,
     * the range does not end with a CR (whose LF may come next), and, if {@code stuffDots}, no line begins with a
     * dot (the first byte begins one if {@code atLineStart}).
     *
     * @return true if the range needs no change
     */
    public static boolean isCleanCrlf(byte[] a, int from, int to, boolean atLineStart, boolean stuffDots) {
        // The state between words: bit 7 if the previous byte was a CR, bit 15 if it was an LF (or the range
        // begins a line). A word with no byte below 0x0E that follows neither passes after one subtraction (exact
        // for "any": CR and LF are below it, so are a few other controls); the others get the exact test.
        long state = atLineStart ? AFTER_LF : 0;
        int i = from;
        for (int last = to - Long.BYTES; i <= last; i += Long.BYTES) {
            long w = (long) LONGS.get(a, i);
            if ((state | (w - BELOW_SO) & ~w & HIGH_BITS) != 0 && (state = nextState(w, state, stuffDots)) == DIRTY) {
                return false;
            }
        }
        // The last 0-7 bytes as one word padded with NUL, which is neither CR, LF nor a dot: a CR at the very end
        // then lacks its LF, as it must.
        long w = 0;
        for (int k = to - 1; k >= i; k--) {
            w = w << 8 | a[k] & 0xFF;
        }
        return nextState(w, state, stuffDots) != DIRTY;
    }

    /**
     * {@link #isCleanCrlf(byte[], int, int, boolean, boolean)} on {@code buf}'s {@code [from, to)} (absolute
     * indexes): through the array of a heap buffer, a single NIO view of a direct one (such as a file's read
     * buffer), else the answer is false and the caller takes the line-by-line way.
     */
    public static boolean isCleanCrlf(ByteBuf buf, int from, int to, boolean atLineStart, boolean stuffDots) {
        if (buf.hasArray()) {
            int offset = buf.arrayOffset();
            return isCleanCrlf(buf.array(), offset + from, offset + to, atLineStart, stuffDots);
        }
        if (buf.nioBufferCount() != 1) {
            return false;
        }
        return isCleanCrlf(buf.nioBuffer(from, to - from), 0, to - from, atLineStart, stuffDots);
    }

    private static boolean isCleanCrlf(ByteBuffer bytes, int from, int to, boolean atLineStart, boolean stuffDots) {
        ByteBuffer a = bytes.order(ByteOrder.LITTLE_ENDIAN);
        long state = atLineStart ? AFTER_LF : 0;
        int i = from;
        for (int last = to - Long.BYTES; i <= last; i += Long.BYTES) {
            long w = a.getLong(i);
            if ((state | (w - BELOW_SO) & ~w & HIGH_BITS) != 0 && (state = nextState(w, state, stuffDots)) == DIRTY) {
                return false;
            }
        }
        long w = 0;
        for (int k = to - 1; k >= i; k--) {
            w = w << 8 | a.get(k) & 0xFF;
        }
        return nextState(w, state, stuffDots) != DIRTY;
    }

    /**
     * The exact test of one word (eight bytes, little-endian) given the state the previous word left.
     *
     * @return the state for the next word (bit 7: the last byte is a CR; bit 15: it is an LF), or {@link #DIRTY}
     *     if the word has a bare CR or LF, or a dot that begins a line while {@code stuffDots}
     */
    private static long nextState(long w, long state, boolean stuffDots) {
        long cr = zeroBytes(w ^ CRS);
        long lf = zeroBytes(w ^ LFS);
        // Exactly the bytes after a CR are LFs: no bare CR, no bare LF.
        if (lf != (cr << 8 | state & AFTER_CR)) {
            return DIRTY;
        }
        if (stuffDots && (zeroBytes(w ^ DOTS) & (lf << 8 | state >>> 8)) != 0) {
            return DIRTY;
        }
        return cr >>> 56 | (lf >>> 56) << 8;
    }

    /** @return the high bit of each byte of {@code x} that is zero, and no other bit (exact, no borrow) */
    private static long zeroBytes(long x) {
        return ~((x & LOW_SEVEN) + LOW_SEVEN | x | LOW_SEVEN);
    }
}
