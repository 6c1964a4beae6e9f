package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Quoted-printable for text (RFC 2045 section 6.7) as the input streams. A line break in the input, CRLF or a bare
 * LF, becomes a hard line break (CRLF, the canonical form of text); a bare CR is encoded ({@code =0D}) so that it
 * survives. Whitespace before a line break or at the end is encoded, {@code =} and every byte outside printable
 * ASCII too, and lines are broken softly to at most 76 characters. Holds two bytes of state between chunks (a
 * space or tab, a CR) whose meaning depends on the next byte.
 */
public final class QuotedPrintableEncoder implements ChunkEncoder {

    /** Characters of a line before the soft break's {@code =}. */
    private static final int MAX_TEXT = 75;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private int lineLength;
    private int pendingSpace = -1;
    private boolean pendingCr;

    @Override
    public ByteBuf encode(ByteBuf in, ByteBufAllocator alloc) {
        ByteBuf out = alloc.heapBuffer(in.readableBytes() + in.readableBytes() / 2 + 16);
        for (int i = in.readerIndex(), end = in.writerIndex(); i < end; i++) {
            accept(in.getByte(i) & 0xFF, out);
        }
        return out;
    }

    @Override
    public ByteBuf finish(ByteBufAllocator alloc) {
        ByteBuf out = alloc.heapBuffer(16);
        if (pendingCr) {
            flushSpace(out);
            escape('\r', out);
            pendingCr = false;
        }
        if (pendingSpace >= 0) {
            escape(pendingSpace, out); // trailing: the delimiter's CRLF follows
            pendingSpace = -1;
        }
        return out;
    }

    private void accept(int b, ByteBuf out) {
        if (pendingCr) {
            pendingCr = false;
            if (b == '\n') {
                hardBreak(out);
                return;
            }
            flushSpace(out);
            escape('\r', out);
        }
        if (b == '\r') {
            pendingCr = true;
        } else if (b == '\n') {
            hardBreak(out);
        } else if (b == ' ' || b == '\t') {
            flushSpace(out);
            pendingSpace = b;
        } else {
            flushSpace(out);
            if (b >= 33 && b <= 126 && b != '=') {
                plain(b, out);
            } else {
                escape(b, out);
            }
        }
    }

    /** A space or tab followed by something other than a line break: sent as it is. */
    private void flushSpace(ByteBuf out) {
        if (pendingSpace >= 0) {
            plain(pendingSpace, out);
            pendingSpace = -1;
        }
    }

    private void hardBreak(ByteBuf out) {
        if (pendingSpace >= 0) {
            escape(pendingSpace, out);
            pendingSpace = -1;
        }
        out.writeByte('\r').writeByte('\n');
        lineLength = 0;
    }

    private void plain(int b, ByteBuf out) {
        if (lineLength + 1 > MAX_TEXT) {
            softBreak(out);
        }
        out.writeByte(b);
        lineLength++;
    }

    private void escape(int b, ByteBuf out) {
        if (lineLength + 3 > MAX_TEXT) {
            softBreak(out);
        }
        out.writeByte('=').writeByte(HEX[b >> 4]).writeByte(HEX[b & 0xF]);
        lineLength += 3;
    }

    private void softBreak(ByteBuf out) {
        out.writeByte('=').writeByte('\r').writeByte('\n');
        lineLength = 0;
    }
}
