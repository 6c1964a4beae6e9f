package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.protocol.ContentReceiver;

/** Answers synchronously with 128 KiB wrapped views of the array. */
public final class ArraySource extends SourceBase {
    private final byte[] bytes;
    private int position;

    /** @param bytes the content, wrapped and never copied */
    public ArraySource(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
        if (rejectIfClosed(receiver)) {
            return;
        }
        int remaining = bytes.length - position;
        if (remaining == 0) {
            receiver.onEnd();
            return;
        }
        int length = Math.min(Sources.MEMORY_CHUNK_SIZE, remaining);
        ByteBuf chunk = Unpooled.wrappedBuffer(bytes, position, length);
        // Advance before the callback: the receiver may call next() from inside it.
        position += length;
        receiver.onChunk(chunk);
    }
}
