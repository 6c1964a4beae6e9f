package io.reactivesmtp.internal.content;

import io.reactivesmtp.protocol.ContentSource;

/** Starts one independent pass over a message's content: what a {@code MessageContent} holds. */
@FunctionalInterface
public interface ContentOpener {

    /** @return a new source positioned at the first byte; it does no I/O before its first {@code next} */
    ContentSource open();
}
