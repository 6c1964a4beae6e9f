package io.reactivesmtp.internal.content;

import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bookkeeping of a source that is closed once: {@link #close()} is idempotent and runs {@link #onClose()} at most
 * once, and a {@code next} after it is answered with an error rather than left waiting.
 */
abstract class SourceBase implements ContentSource {

    private final AtomicBoolean closed = new AtomicBoolean();

    /** @return whether {@link #close()} was called */
    final boolean isClosed() {
        return closed.get();
    }

    /**
     * @param receiver the caller of {@code next}
     * @return true if the source is closed and the receiver was told so
     */
    final boolean rejectIfClosed(ContentReceiver receiver) {
        if (closed.get()) {
            Sources.rejectClosed(receiver);
            return true;
        }
        return false;
    }

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            onClose();
        }
    }

    /** Releases what the source holds; called once, by the first {@link #close()}. */
    void onClose() {
    }
}
