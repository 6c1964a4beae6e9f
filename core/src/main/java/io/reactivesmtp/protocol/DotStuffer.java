package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ByteProcessor;
import io.reactivesmtp.internal.ByteScan;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The streaming encoder of DATA content (RFC 5321 section 4.5.2): normalises every line ending to CRLF,
 * doubles the dot at the start of every line, and ends the content with exactly one {@code CRLF.CRLF}.
 *
 * <p>Line endings: CRLF stays, a bare LF becomes CRLF, a bare CR becomes CRLF, and {@code \r\r\n} is two
 * line breaks. Normalising bare CR and LF, not just stuffing after CRLF, is what defeats SMTP smuggling
 * (CVE-2023-51764): servers disagree on what ends a line, so the wire must contain no bare CR or LF at all
 * and every line that begins with {@code .} must carry the extra dot whichever way the line was ended.
 * NUL and 8-bit bytes pass through unchanged.
 *
 * <p>All of this holds across arbitrary chunk boundaries: the encoder remembers whether the next byte
 * starts a line and whether the previous chunk ended with a CR whose LF may follow.
 *
 * <p>A chunk that needs no change (whole CRLF lines, no leading dot) is returned as it is, without a copy;
 * bulk mail mostly looks like that. Otherwise the output is built in one allocation and one pass.
 *
 * <p>One instance per message. Not thread-safe: it is meant to be driven from one event loop.
 */
public final class DotStuffer {

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte DOT = '.';
    private static final int CRLF_SHORT = (CR << 8) | LF;
    private static final int MAX_HEADROOM = 128 * 1024;
    /**
     * The two endings of DATA content, shared by every message: direct (what a socket write wants), read-only and
     * unreleasable, handed out as a fresh duplicate each time, so no reader index is shared and the release by
     * the caller (or by the channel, once written) frees nothing. Not from an allocator: nothing to track.
     */
    private static final ByteBuf DOT_CRLF = shared(".\r\n");
    private static final ByteBuf CRLF_DOT_CRLF = shared("\r\n.\r\n");

    /** True when the next content byte begins a line; true at first, the content begins a line. */
    private boolean atLineStart = true;
    /**
     * True when the last byte seen was a CR. Its CRLF has already been written; an LF that follows it is
     * the second half of that line break and is swallowed.
     */
    private boolean pendingCr;
    private boolean finished;
    private final boolean stuffDots;

    /** Creates an encoder for one message sent with DATA, positioned at the start of the content. */
    public DotStuffer() {
        this(true);
    }

    /**
     * @param stuffDots true for DATA (dot-stuffing and terminator); false for BDAT (RFC 3030), where the content
     *     is only CRLF-normalised: no dot is doubled and {@link #finish} adds no terminator
     */
    public DotStuffer(boolean stuffDots) {
        this.stuffDots = stuffDots;
    }

    /**
     * Encodes the next chunk of content.
     *
     * @param chunk the next bytes of the content (its readable bytes); ownership passes to this method,
     *              which either releases it or hands it back as (part of) the result
     * @param alloc allocates the output when the chunk needs changes
     * @return the encoded bytes, owned by the caller, to be written to the channel; possibly empty, possibly
     *         the very {@code chunk} passed in (with its reader index advanced), never null
     * @throws IllegalStateException if {@link #finish} was already called (the chunk is released)
     */
    public ByteBuf encode(ByteBuf chunk, ByteBufAllocator alloc) {
        Objects.requireNonNull(chunk, "chunk");
        if (finished) {
            chunk.release();
            throw new IllegalStateException("encode after finish: the terminator was already produced");
        }
        int start = chunk.readerIndex();
        int end = chunk.writerIndex();
        if (start == end) {
            chunk.release();
            return Unpooled.EMPTY_BUFFER;
        }
        if (pendingCr) {
            // The CRLF for the CR was already written; an LF right after it belongs to that line break.
            pendingCr = false;
            if (chunk.getByte(start) == LF) {
                start++;
                if (start == end) {
                    chunk.release();
                    return Unpooled.EMPTY_BUFFER;
                }
            }
        }

        int unsafe = firstChange(chunk, start, end);
        if (unsafe < 0) {
            // Fast path: the bytes go out unchanged, no copy.
            chunk.readerIndex(start);
            return chunk;
        }

        // The bytes before 'unsafe' end with a complete CRLF line (or are empty), so they are copied as
        // they are and the state is "at line start" there, unless nothing was copied.
        if (unsafe > start) {
            atLineStart = true;
        }
        ByteBuf out = alloc.buffer(outputCapacity(end - start, end - unsafe));
        try {
            out.writeBytes(chunk, start, unsafe - start);
            encodeSlow(chunk, unsafe, end, out);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        } finally {
            chunk.release();
        }
        return out;
    }

    /**
     * Ends the content: a CRLF if the last line was not ended, then the terminator {@code .CRLF}, so the
     * wire always shows {@code CRLF.CRLF} (or just {@code .CRLF} for empty content). After this call the
     * encoder accepts no more content.
     *
     * @param alloc allocates the tail (BDAT's CRLF; DATA's terminator is a shared read-only buffer)
     * @return the tail, owned by the caller, who releases it as any other (for DATA a duplicate of a shared
     *     read-only buffer, which a release leaves alone)
     * @throws IllegalStateException if called twice
     */
    public ByteBuf finish(ByteBufAllocator alloc) {
        if (finished) {
            throw new IllegalStateException("finish called twice");
        }
        finished = true;
        if (!stuffDots) {
            // BDAT: only complete the last line; the chunk sizes, not a terminator, end the content.
            return atLineStart ? Unpooled.EMPTY_BUFFER : alloc.buffer(2).writeShort(CRLF_SHORT);
        }
        // A pending CR already produced its CRLF, so atLineStart is true then as well.
        return (atLineStart ? DOT_CRLF : CRLF_DOT_CRLF).duplicate();
    }

    private static ByteBuf shared(String ascii) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(ascii.length());
        bytes.put(ascii.getBytes(StandardCharsets.US_ASCII)).flip();
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes.asReadOnlyBuffer()));
    }

    /**
     * Whether {@link #finish} was called.
     *
     * @return true once the terminator was produced
     */
    public boolean isFinished() {
        return finished;
    }

    /**
     * Encodes a whole message at once, terminator included. For small messages and tests.
     *
     * @param content the content bytes; not modified, not retained
     * @param alloc allocates the result
     * @return the complete DATA wire bytes after the 354, owned by the caller
     */
    public static ByteBuf encodeAll(byte[] content, ByteBufAllocator alloc) {
        Objects.requireNonNull(content, "content");
        DotStuffer stuffer = new DotStuffer();
        ByteBuf body = stuffer.encode(Unpooled.wrappedBuffer(content), alloc);
        ByteBuf tail = stuffer.finish(alloc);
        try {
            ByteBuf all = alloc.buffer(body.readableBytes() + tail.readableBytes());
            all.writeBytes(body).writeBytes(tail);
            return all;
        } finally {
            body.release();
            tail.release();
        }
    }

    /**
     * Each input byte yields at most two output bytes, so up to 128 KiB of rewritten input (the size of the
     * built-in chunks) this is exact and the buffer never grows; a huge chunk gets 128 KiB of headroom and
     * grows only if it is pathological, rather than reserving twice its size.
     */
    private static int outputCapacity(int readable, int rewritten) {
        long capacity = (long) readable + Math.min(rewritten, MAX_HEADROOM);
        return (int) Math.min(capacity, Integer.MAX_VALUE - 8);
    }

    /**
     * Finds where the chunk stops being sendable as it is, given the current state.
     *
     * @return -1 if {@code [start, end)} needs no change (and the state is updated to its end); otherwise
     *         the index just after the last complete CRLF before the first change, or {@code start} if
     *         there is none (the state is left as it was at {@code start})
     */
    private int firstChange(ByteBuf chunk, int start, int end) {
        // One pass over the whole chunk; only a chunk that needs changes (or a composite) is scanned line by line.
        if (ByteScan.isCleanCrlf(chunk, start, end, atLineStart, stuffDots)) {
            atLineStart = chunk.getByte(end - 1) == LF;
            return -1;
        }
        int lineStart = start;
        boolean lineStartsLine = atLineStart;
        while (true) {
            if (stuffDots && lineStartsLine && lineStart < end && chunk.getByte(lineStart) == DOT) {
                return lineStart;
            }
            // Eight bytes at a time: the line's LF, then any CR before the one that must precede it.
            int lf = ByteScan.indexOf(chunk, lineStart, end, LF);
            if (lf < 0) {
                if (ByteScan.indexOf(chunk, lineStart, end, CR) >= 0) {
                    // A bare CR, or a CR at the very end whose LF, if any, is in the next chunk: the slow way.
                    return lineStart;
                }
                // No more line breaks: the tail is a partial line (or nothing), sent as it is.
                atLineStart = lineStart == end ? lineStartsLine : false;
                return -1;
            }
            // A bare LF, or a bare CR earlier on the line, needs rewriting.
            if (lf == lineStart || chunk.getByte(lf - 1) != CR || ByteScan.indexOf(chunk, lineStart, lf - 1, CR) >= 0) {
                return lineStart;
            }
            lineStart = lf + 1;
            lineStartsLine = true;
        }
    }

    /** The general case: rewrites {@code [from, end)} into {@code out} byte by byte between line breaks. */
    private void encodeSlow(ByteBuf chunk, int from, int end, ByteBuf out) {
        int i = from;
        while (i < end) {
            byte b = chunk.getByte(i);
            if (pendingCr) {
                pendingCr = false;
                if (b == LF) {
                    i++;
                    continue;
                }
            }
            if (b == CR) {
                out.writeShort(CRLF_SHORT);
                atLineStart = true;
                pendingCr = true;
                i++;
            } else if (b == LF) {
                out.writeShort(CRLF_SHORT);
                atLineStart = true;
                i++;
            } else {
                if (stuffDots && atLineStart && b == DOT) {
                    out.writeByte(DOT);
                }
                atLineStart = false;
                // Copy the rest of the line in bulk.
                int brk = chunk.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
                int stop = brk < 0 ? end : brk;
                out.writeBytes(chunk, i, stop - i);
                i = stop;
            }
        }
    }
}
