package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;
import java.util.concurrent.atomic.AtomicBoolean;

/** Answers synchronously with 128 KiB retained slices; drops its reference at the end or on close. */
public final class BufSource implements ContentSource {
    private final ByteBuf buf;
    private final int end;
    private final AtomicBoolean released = new AtomicBoolean();
    private int position;

    /**
     * Opens a pass over {@code length} bytes of {@code buf} from {@code index}, holding its own reference so that
     * the caller releasing the buffer mid-send is harmless.
     *
     * @return the source, or one that fails at once if the buffer was released already
     */
    public static ContentSource open(ByteBuf buf, int index, int length) {
        try {
            buf.retain();
        } catch (RuntimeException e) {
            return new FailedSource(new IllegalStateException(
                    "The message content buffer was released before it was sent", e));
        }
        return new BufSource(buf, index, index + length);
    }

    private BufSource(ByteBuf buf, int start, int end) {
        this.buf = buf;
        this.position = start;
        this.end = end;
    }

    @Override
    public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
        if (released.get()) {
            Sources.rejectClosed(receiver);
            return;
        }
        int remaining = end - position;
        if (remaining == 0) {
            release();
            receiver.onEnd();
            return;
        }
        int length = Math.min(Sources.MEMORY_CHUNK_SIZE, remaining);
        ByteBuf chunk = buf.retainedSlice(position, length);
        position += length;
        receiver.onChunk(chunk);
    }

    @Override
    public void close() {
        release();
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            buf.release();
        }
    }
}
