package io.reactivesmtp.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Pulls a content source to its end, chunk by chunk, the way the session does; releases every chunk. */
final class ContentDrain {

    private ContentDrain() {
    }

    /**
     * @param source the source; closed at the end, however it ends
     * @param alloc the allocator the source may fill buffers from
     * @param timeoutSeconds the longest wait for any one chunk
     * @return the bytes the source produced
     */
    static long drain(ContentSource source, ByteBufAllocator alloc, long timeoutSeconds) throws Exception {
        long total = 0;
        try {
            while (true) {
                CompletableFuture<ByteBuf> next = new CompletableFuture<>();
                source.next(alloc, new ContentReceiver() {
                    @Override
                    public void onChunk(ByteBuf chunk) {
                        next.complete(chunk);
                    }

                    @Override
                    public void onEnd() {
                        next.complete(null);
                    }

                    @Override
                    public void onError(Throwable error) {
                        next.completeExceptionally(error);
                    }
                });
                ByteBuf chunk = next.get(timeoutSeconds, TimeUnit.SECONDS);
                if (chunk == null) {
                    return total;
                }
                total += chunk.readableBytes();
                chunk.release();
            }
        } finally {
            source.close();
        }
    }
}
