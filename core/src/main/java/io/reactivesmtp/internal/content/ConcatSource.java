package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * One pass over a composed MIME message: literal bytes (header blocks, boundaries) and encoded parts, one after the
 * other. An encoded part's own source (array, file, publisher) is opened when the pass reaches it and pulled one
 * chunk per chunk asked for, through its {@link ChunkEncoder}, so memory stays constant whatever the parts' sizes.
 *
 * <p>An encoder that has nothing to give yet (base64 waiting for a full line) makes the source pull again; the pulls
 * run in a loop, never by recursion, whether the part's source answers synchronously (an array) or later on another
 * thread (a file, a publisher). State is guarded by one lock; callbacks to the receiver run outside it.
 */
public final class ConcatSource implements ContentSource {

    /**
     * A piece of the message: literal bytes, or a part's content with its encoder.
     *
     * @param literal the bytes, or null for an encoded part
     * @param opener the part's content, or null for literal bytes
     * @param encoder a new encoder per pass, or null for literal bytes
     */
    public record Segment(byte[] literal, ContentOpener opener, Supplier<ChunkEncoder> encoder) {

        /** @return literal bytes, sent as they are */
        public static Segment literal(byte[] bytes) {
            return new Segment(Objects.requireNonNull(bytes, "bytes"), null, null);
        }

        /** @return a part's content, encoded as it streams */
        public static Segment encoded(ContentOpener opener, Supplier<ChunkEncoder> encoder) {
            return new Segment(null, Objects.requireNonNull(opener, "opener"), Objects.requireNonNull(encoder, "encoder"));
        }
    }

    private final List<Segment> segments;
    private final Object lock = new Object();
    private final ContentReceiver partReceiver = new PartReceiver();

    // Guarded by lock.
    private int index;
    private ContentSource current;
    private ChunkEncoder encoder;
    private ContentReceiver waiting;
    private ByteBufAllocator alloc;
    private boolean outstanding;
    private boolean closed;
    private boolean failed;
    private boolean driving;
    private boolean again;

    /** @param segments the message, in order */
    public ConcatSource(List<Segment> segments) {
        this.segments = List.copyOf(segments);
    }

    @Override
    public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
        boolean reject;
        synchronized (lock) {
            reject = closed || failed;
            if (!reject) {
                this.alloc = alloc;
                waiting = receiver;
            }
        }
        if (reject) {
            Sources.rejectClosed(receiver);
            return;
        }
        drive();
    }

    @Override
    public void close() {
        ContentSource part;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            waiting = null;
            part = current;
            current = null;
            encoder = null;
        }
        if (part != null) {
            part.close();
        }
    }

    /** Runs steps until none is possible; a call while a loop runs makes that loop go round once more. */
    private void drive() {
        synchronized (lock) {
            if (driving) {
                again = true;
                return;
            }
            driving = true;
        }
        for (;;) {
            step();
            synchronized (lock) {
                if (!again) {
                    driving = false;
                    return;
                }
                again = false;
            }
        }
    }

    private void step() {
        ContentReceiver receiver;
        byte[] literal = null;
        ContentSource part = null;
        ByteBufAllocator allocator;
        synchronized (lock) {
            if (closed || failed || waiting == null || outstanding) {
                return;
            }
            receiver = waiting;
            allocator = alloc;
            if (index < segments.size()) {
                Segment segment = segments.get(index);
                if (segment.literal() != null) {
                    literal = segment.literal();
                    index++;
                    waiting = null;
                } else {
                    if (current == null) {
                        current = segment.opener().open();
                        encoder = segment.encoder().get();
                    }
                    part = current;
                    outstanding = true;
                }
            } else {
                waiting = null;
            }
        }
        if (literal != null) {
            receiver.onChunk(Unpooled.wrappedBuffer(literal));
        } else if (part != null) {
            part.next(allocator, partReceiver);
        } else {
            receiver.onEnd();
        }
    }

    /** Hands encoded bytes to the waiting receiver, or pulls again when there are none. */
    private void deliver(ByteBuf out) {
        if (!out.isReadable()) {
            out.release();
            drive();
            return;
        }
        ContentReceiver receiver;
        synchronized (lock) {
            receiver = closed ? null : waiting;
            waiting = null;
        }
        if (receiver == null) {
            out.release();
            return;
        }
        receiver.onChunk(out);
    }

    /** The answers of the current part's source. */
    private final class PartReceiver implements ContentReceiver {
        @Override
        public void onChunk(ByteBuf chunk) {
            ChunkEncoder enc;
            ByteBufAllocator allocator;
            synchronized (lock) {
                outstanding = false;
                enc = closed ? null : encoder;
                allocator = alloc;
            }
            ByteBuf out;
            try {
                if (enc == null) {
                    return;
                }
                out = enc.encode(chunk, allocator);
            } catch (RuntimeException e) {
                onError(e);
                return;
            } finally {
                chunk.release();
            }
            deliver(out);
        }

        @Override
        public void onEnd() {
            ChunkEncoder enc;
            ContentSource part;
            ByteBufAllocator allocator;
            synchronized (lock) {
                outstanding = false;
                if (closed) {
                    return;
                }
                enc = encoder;
                part = current;
                allocator = alloc;
                current = null;
                encoder = null;
                index++;
            }
            part.close();
            ByteBuf out;
            try {
                out = enc.finish(allocator);
            } catch (RuntimeException e) {
                onError(e);
                return;
            }
            deliver(out);
        }

        @Override
        public void onError(Throwable error) {
            ContentReceiver receiver;
            ContentSource part;
            synchronized (lock) {
                outstanding = false;
                if (closed || failed) {
                    return;
                }
                failed = true;
                receiver = waiting;
                waiting = null;
                part = current;
                current = null;
                encoder = null;
            }
            if (part != null) {
                part.close();
            }
            if (receiver != null) {
                receiver.onError(error);
            }
        }
    }
}
