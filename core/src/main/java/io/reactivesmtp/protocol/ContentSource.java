package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBufAllocator;

/**
 * One pass over a message's content, pulled chunk by chunk by the session handler so that it reads only as
 * fast as the connection can write (backpressure without a reactive library in core). Obtained from
 * {@link io.reactivesmtp.MessageContent#open()}; each source is used for one send only.
 */
public interface ContentSource {

    /**
     * Asks for the next chunk. Exactly one callback follows per call: {@code receiver.onChunk(buf)}
     * (ownership passes to the receiver), {@code receiver.onEnd()}, or {@code receiver.onError(t)}. The
     * callback may come synchronously inside this call or later on another thread. {@code next()} is never
     * called again before that callback.
     *
     * @param alloc allocates buffers the source has to fill (file reads); sources that slice existing memory
     *              ignore it
     * @param receiver gets the one answer to this call
     */
    void next(ByteBufAllocator alloc, ContentReceiver receiver);

    /**
     * Stops producing and frees resources (file handles, subscriptions). Idempotent; may be called at any
     * time from any thread, also while a {@code next()} is outstanding. An answer that is still outstanding
     * is normally dropped (a chunk that arrives late is released); one that was already being delivered when
     * {@code close()} ran may still reach the receiver, which then releases it.
     */
    void close();
}
