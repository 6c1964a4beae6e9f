package io.reactivesmtp.internal.content;

import io.reactivesmtp.protocol.ContentReceiver;

/** What every content source shares: the chunk size and the answer to a {@code next} after {@code close}. */
public final class Sources {

    /** The size of the chunks the built-in sources produce: large enough for efficient writes, small enough to bound memory. */
    public static final int CHUNK_SIZE = 64 * 1024;

    /**
     * The size of the chunks cut from content already in memory (an array, a buffer): the memory is held anyway, and
     * a message of up to this size then leaves in one write, together with its terminator, instead of two; a larger
     * chunk would only grow the direct buffer Netty copies a heap chunk into before the socket write.
     */
    public static final int MEMORY_CHUNK_SIZE = 128 * 1024;

    private Sources() {
    }

    /** An error for next() after close(): answering beats leaving the caller waiting forever. */
    static void rejectClosed(ContentReceiver receiver) {
        receiver.onError(new IllegalStateException("content source already closed"));
    }
}
