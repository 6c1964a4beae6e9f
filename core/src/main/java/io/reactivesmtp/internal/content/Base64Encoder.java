package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Arrays;
import java.util.Base64;

/**
 * Base64 (RFC 2045 section 6.8) as the input streams: lines of 76 characters (57 input bytes), separated by CRLF,
 * with no line break after the last line (the CRLF before a MIME boundary belongs to the boundary). Holds at most
 * 56 input bytes between chunks.
 */
public final class Base64Encoder implements ChunkEncoder {

    private static final int LINE_INPUT = 57;
    private static final int LINE_OUTPUT = 76;
    private static final Base64.Encoder BASE64 = Base64.getEncoder();

    private final byte[] carry = new byte[LINE_INPUT];
    private final byte[] line = new byte[LINE_OUTPUT];
    private int carried;
    private boolean started;

    @Override
    public ByteBuf encode(ByteBuf in, ByteBufAllocator alloc) {
        int available = carried + in.readableBytes();
        ByteBuf out = alloc.heapBuffer((available / LINE_INPUT) * (LINE_OUTPUT + 2));
        int index = in.readerIndex();
        int end = in.writerIndex();
        while (index < end) {
            int take = Math.min(LINE_INPUT - carried, end - index);
            in.getBytes(index, carry, carried, take);
            index += take;
            carried += take;
            if (carried == LINE_INPUT) {
                writeLine(out, BASE64.encode(carry, line));
                carried = 0;
            }
        }
        return out;
    }

    @Override
    public ByteBuf finish(ByteBufAllocator alloc) {
        ByteBuf out = alloc.heapBuffer(LINE_OUTPUT + 2);
        if (carried > 0) {
            writeLine(out, BASE64.encode(Arrays.copyOf(carry, carried), line));
            carried = 0;
        }
        return out;
    }

    private void writeLine(ByteBuf out, int length) {
        if (started) {
            out.writeByte('\r').writeByte('\n');
        }
        started = true;
        out.writeBytes(line, 0, length);
    }
}
