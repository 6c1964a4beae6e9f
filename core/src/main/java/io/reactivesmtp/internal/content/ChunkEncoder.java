package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A streaming content transfer encoder (base64, quoted-printable, or none): fed one chunk at a time, it keeps only a
 * few bytes of state between chunks, so memory stays constant whatever the size of the part. One instance per pass.
 */
public interface ChunkEncoder {

    /**
     * Encodes one chunk.
     *
     * @param in the bytes to encode; read, never released (the caller owns it)
     * @param alloc where the output buffer comes from
     * @return the encoded bytes (possibly none, when the encoder waits for more input); the caller owns it
     */
    ByteBuf encode(ByteBuf in, ByteBufAllocator alloc);

    /**
     * Ends the input: writes what the encoder still holds (the last base64 quantum, a pending space).
     *
     * @param alloc where the output buffer comes from
     * @return the last encoded bytes, possibly none
     */
    ByteBuf finish(ByteBufAllocator alloc);

    /** @return an encoder that passes the bytes through unchanged (7bit and 8bit parts) */
    static ChunkEncoder identity() {
        return new ChunkEncoder() {
            @Override
            public ByteBuf encode(ByteBuf in, ByteBufAllocator alloc) {
                return in.retainedDuplicate();
            }

            @Override
            public ByteBuf finish(ByteBufAllocator alloc) {
                return alloc.heapBuffer(0);
            }
        };
    }
}
