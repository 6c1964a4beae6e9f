package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Receives the answer to one {@code ContentSource.next} call. Exactly one of the three methods is called per
 * {@code next()}, possibly synchronously inside it, possibly later on another thread.
 */
public interface ContentReceiver {

    /**
     * The next chunk of content.
     *
     * @param chunk the bytes; ownership passes to the receiver, which must release it (also when it no
     *              longer wants it, e.g. after it closed the source)
     */
    void onChunk(ByteBuf chunk);

    /** The content is complete; no more chunks follow. */
    void onEnd();

    /**
     * The content could not be produced (unreadable file, publisher error). No more chunks follow.
     *
     * @param error the cause
     */
    void onError(Throwable error);
}
