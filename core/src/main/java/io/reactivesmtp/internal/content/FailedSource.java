package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBufAllocator;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;

/** A source that could not even start: it reports its error on the first next(). */
public final class FailedSource implements ContentSource {
    private final Throwable error;

    /** @param error what every {@code next} answers */
    public FailedSource(Throwable error) {
        this.error = error;
    }

    @Override
    public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
        receiver.onError(error);
    }

    @Override
    public void close() {
        // Nothing held.
    }
}
