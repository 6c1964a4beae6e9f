package io.reactivesmtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.dkim.DkimSignedSource;
import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The content of one message: its RFC 5322 bytes, header and body, kept apart from the envelope (who
 * receives it is decided by the envelope only, never by {@code To:}/{@code Cc:} headers).
 *
 * <p>Content is a stream: the protocol engine pulls it chunk by chunk through {@link #open()}, normalises
 * line endings, dot-stuffs and terminates it while it goes out, so a large message is never held in memory
 * twice and a file is never held in memory at all. The same {@code MessageContent} may be sent any number of
 * times (retries, several destinations); each send opens its own stream.
 *
 * <p>Line endings in the content may be CRLF, LF or CR: they are sent as CRLF.
 */
public abstract class MessageContent {

    /** The size of the chunks the built-in kinds produce: large enough for efficient writes, small enough to bound memory. */
    static final int CHUNK_SIZE = 64 * 1024;

    private MessageContent() {
        // Only the kinds below exist: the protocol engine relies on their open() contract.
    }

    /**
     * Content from a byte array, sent as it is (wrapped, not copied, because bulk senders pass big arrays).
     *
     * @param bytes the message bytes; must not be changed while any send of this content is in progress
     * @return the content
     */
    public static MessageContent of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new ArrayContent("bytes", bytes);
    }

    /**
     * Content from text, encoded as UTF-8 (announce 8BITMIME or SMTPUTF8 in the envelope if it is not ASCII).
     *
     * @param text the message, headers and body
     * @return the content
     */
    public static MessageContent of(String text) {
        Objects.requireNonNull(text, "text");
        return new ArrayContent("string", text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Content from a buffer's readable bytes at the time of this call. The caller keeps ownership: the
     * content reads retained slices, never moves the buffer's reader index, and each send reads it again.
     * The caller must not release the buffer, nor change those bytes, until it no longer sends this content;
     * a send in progress holds its own reference, so releasing during a send is safe for that send.
     *
     * @param buf the message bytes
     * @return the content
     */
    public static MessageContent of(ByteBuf buf) {
        Objects.requireNonNull(buf, "buf");
        return new BufContent(buf, buf.readerIndex(), buf.readableBytes());
    }

    /**
     * Content streamed from a file, never read whole into memory. The file is opened for each send, on a thread
     * of its own (opening can block on a slow disk or NFS), and read in 64 KiB chunks with an
     * {@link AsynchronousFileChannel}, so no event-loop thread waits on the disk. A file that cannot be opened
     * at send time (deleted, no permission) fails that send with an {@link SmtpContentException} naming it.
     * Each send sends the file's bytes as they are when it opens the file; a file that shrinks during the
     * send fails that send rather than sending a truncated message.
     *
     * @param file a readable regular file
     * @return the content
     * @throws IllegalArgumentException if the file is not a readable regular file now (checked eagerly so
     *                                  the mistake shows where the content is built, not in a send report)
     */
    public static MessageContent of(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("Message content file is not a readable regular file: " + file);
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the size of message content file " + file, e);
        }
        return new PathContent(file, size);
    }

    /**
     * Content from a publisher of buffers. Each send subscribes anew and requests one buffer at a time, as
     * fast as the connection takes them. The buffers it emits belong to the client, which releases them.
     * A publisher error fails the send with an {@link SmtpContentException} and the partial message is
     * discarded by the server (no final dot is sent).
     *
     * @param publisher emits the message bytes in order; must support a new subscription per send
     * @return the content, of unknown size
     */
    public static MessageContent of(Flow.Publisher<? extends ByteBuf> publisher) {
        Objects.requireNonNull(publisher, "publisher");
        return new PublisherContent(publisher);
    }

    /**
     * The size in bytes before encoding, when known in advance (for the SIZE extension).
     *
     * @return the size, or empty for a publisher
     */
    public abstract OptionalLong size();

    /**
     * Starts one independent pass over the content. Used by the protocol engine, once per send; it must
     * {@link ContentSource#close() close} the source when it stops reading. This method does no I/O: a file
     * is opened, and a publisher subscribed, on the first {@link ContentSource#next}.
     *
     * @return a new source positioned at the first byte
     */
    public abstract ContentSource open();

    /**
     * Whether the content is 7-bit or 8-bit, for the {@code BODY} parameter (RFC 6152). Arrays, strings and
     * buffers are scanned once; files and publishers are {@link BodyType#UNKNOWN} unless declared with
     * {@link #withBodyType(BodyType)}.
     *
     * @return the body type
     */
    public BodyType bodyType() {
        return BodyType.UNKNOWN;
    }

    /**
     * Declares the body type of content whose bytes the client cannot see in advance (a file, a publisher),
     * typically {@link BodyType#SEVEN_BIT} for content known to be ASCII (then no BODY parameter is sent and a
     * server without 8BITMIME takes it).
     *
     * @param type what the caller knows of the bytes
     * @return the same content with that body type
     */
    public MessageContent withBodyType(BodyType type) {
        Objects.requireNonNull(type, "type");
        MessageContent inner = this instanceof DeclaredContent ? ((DeclaredContent) this).inner : this;
        return new DeclaredContent(inner, type);
    }

    /**
     * This content with DKIM signatures (RFC 6376), one {@code DKIM-Signature} header per signer (e.g. an RSA
     * and an Ed25519 one), put in front of the message when it is sent. Each send hashes the content first, in a
     * streaming pass with constant memory, then sends the headers and the content: an array, string or buffer is
     * read twice in place, a file twice from disk, and a publisher (subscribed once per send) is copied to an
     * owner-only temporary file while it is hashed and sent from there (the file is deleted afterwards). The
     * hashing runs on a small pool of daemon threads, never on an event loop. A message that cannot be signed
     * (no From header, a header block over {@link DkimSigner#MAX_HEADER_BLOCK_BYTES}) is refused here for an
     * array or string; for the other kinds it fails its send with an {@link SmtpContentException} before any of
     * its bytes is written (the transaction is abandoned without its final dot).
     *
     * <pre>{@code
     * MessageContent signed = MessageContent.of(Path.of("newsletter.eml")).signedWith(rsaSigner, ed25519Signer);
     * }</pre>
     *
     * @param signers one or more signers; signing signed content adds to its signers
     * @return the signed content; its {@link #size()} includes an upper bound of the headers' size
     * @throws io.reactivesmtp.dkim.DkimSigningException if an array or string cannot be signed
     */
    public MessageContent signedWith(DkimSigner... signers) {
        return signedWith(List.of(signers));
    }

    /**
     * Like {@link #signedWith(DkimSigner...)}.
     *
     * @param signers one or more signers
     * @return the signed content
     */
    public MessageContent signedWith(List<DkimSigner> signers) {
        if (signers.isEmpty()) {
            throw new IllegalArgumentException("signedWith needs at least one DKIM signer");
        }
        if (this instanceof SignedContent) {
            SignedContent signed = (SignedContent) this;
            List<DkimSigner> all = new ArrayList<>(signed.signers);
            all.addAll(signers);
            return new SignedContent(signed.inner, all);
        }
        MessageContent kind = this instanceof DeclaredContent ? ((DeclaredContent) this).inner : this;
        if (kind instanceof ArrayContent) {
            // In memory: a message that cannot be signed is refused here, not in the middle of a send.
            DkimSignedSource.checkSignable(((ArrayContent) kind).bytes);
        }
        return new SignedContent(this, List.copyOf(signers));
    }

    /** Content with DKIM signatures added when it is sent (see {@link DkimSignedSource}). */
    private static final class SignedContent extends MessageContent {
        private final MessageContent inner;
        private final List<DkimSigner> signers;
        private final boolean spool;

        SignedContent(MessageContent inner, List<DkimSigner> signers) {
            this.inner = inner;
            this.signers = signers;
            MessageContent kind = inner instanceof DeclaredContent ? ((DeclaredContent) inner).inner : inner;
            // A publisher may be read once per send: it is spooled while hashed. The others are read twice.
            this.spool = kind instanceof PublisherContent;
        }

        @Override
        public OptionalLong size() {
            OptionalLong size = inner.size();
            return size.isPresent() ? OptionalLong.of(size.getAsLong() + DkimSignedSource.headerSizeBound(signers))
                    : size;
        }

        @Override
        public ContentSource open() {
            return DkimSignedSource.open(inner, signers, spool);
        }

        @Override
        public BodyType bodyType() {
            return inner.bodyType(); // the signature headers are ASCII
        }

        @Override
        public String toString() {
            return inner + "[DKIM " + signers + "]";
        }
    }

    /** Scans for a byte of 128 or more. */
    static BodyType scan(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] < 0) {
                return BodyType.EIGHT_BIT;
            }
        }
        return BodyType.SEVEN_BIT;
    }

    /** Content with a body type declared by the caller. */
    private static final class DeclaredContent extends MessageContent {
        private final MessageContent inner;
        private final BodyType type;

        DeclaredContent(MessageContent inner, BodyType type) {
            this.inner = inner;
            this.type = type;
        }

        @Override
        public OptionalLong size() {
            return inner.size();
        }

        @Override
        public ContentSource open() {
            return inner.open();
        }

        @Override
        public BodyType bodyType() {
            return type;
        }

        @Override
        public String toString() {
            return inner.toString() + "[" + type + "]";
        }
    }

    /**
     * Says what kind of content this is and its size, never the content itself (it may be confidential).
     *
     * @return a short description
     */
    @Override
    public abstract String toString();

    private static String describeSize(OptionalLong size) {
        return size.isPresent() ? size.getAsLong() + " bytes" : "size unknown";
    }

    /** An error for next() after close(): answering beats leaving the caller waiting forever. */
    private static void rejectClosed(ContentReceiver receiver) {
        receiver.onError(new IllegalStateException("content source already closed"));
    }

    // ---------------------------------------------------------------------------------------------- byte[]

    private static final class ArrayContent extends MessageContent {
        private final String kind;
        private final byte[] bytes;

        ArrayContent(String kind, byte[] bytes) {
            this.kind = kind;
            this.bytes = bytes;
        }

        @Override
        public OptionalLong size() {
            return OptionalLong.of(bytes.length);
        }

        @Override
        public ContentSource open() {
            return new ArraySource(bytes);
        }

        private volatile BodyType bodyType;

        @Override
        public BodyType bodyType() {
            BodyType t = bodyType;
            if (t == null) {
                t = scan(bytes, 0, bytes.length);
                bodyType = t;
            }
            return t;
        }

        @Override
        public String toString() {
            return "MessageContent[" + kind + ", " + describeSize(size()) + "]";
        }
    }

    /** Answers synchronously with 64 KiB wrapped views of the array. */
    private static final class ArraySource implements ContentSource {
        private final byte[] bytes;
        private int position;
        private volatile boolean closed;

        ArraySource(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
            if (closed) {
                rejectClosed(receiver);
                return;
            }
            int remaining = bytes.length - position;
            if (remaining == 0) {
                receiver.onEnd();
                return;
            }
            int length = Math.min(CHUNK_SIZE, remaining);
            ByteBuf chunk = Unpooled.wrappedBuffer(bytes, position, length);
            // Advance before the callback: the receiver may call next() from inside it.
            position += length;
            receiver.onChunk(chunk);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    // --------------------------------------------------------------------------------------------- ByteBuf

    private static final class BufContent extends MessageContent {
        private final ByteBuf buf;
        private final int index;
        private final int length;

        BufContent(ByteBuf buf, int index, int length) {
            this.buf = buf;
            this.index = index;
            this.length = length;
        }

        @Override
        public OptionalLong size() {
            return OptionalLong.of(length);
        }

        @Override
        public ContentSource open() {
            try {
                // The send holds its own reference, so the caller releasing its buffer mid-send is harmless.
                buf.retain();
            } catch (RuntimeException e) {
                return new FailedSource(new IllegalStateException(
                        "The message content buffer was released before it was sent", e));
            }
            return new BufSource(buf, index, index + length);
        }

        @Override
        public BodyType bodyType() {
            // Scanned at each call: the caller owns the buffer, and a released one cannot be read.
            int eight = buf.refCnt() > 0 ? buf.forEachByte(index, length, b -> b >= 0) : 0;
            return buf.refCnt() == 0 ? BodyType.UNKNOWN : eight < 0 ? BodyType.SEVEN_BIT : BodyType.EIGHT_BIT;
        }

        @Override
        public String toString() {
            return "MessageContent[ByteBuf, " + describeSize(size()) + "]";
        }
    }

    /** Answers synchronously with 64 KiB retained slices; drops its reference at the end or on close. */
    private static final class BufSource implements ContentSource {
        private final ByteBuf buf;
        private final int end;
        private final AtomicBoolean released = new AtomicBoolean();
        private int position;

        BufSource(ByteBuf buf, int start, int end) {
            this.buf = buf;
            this.position = start;
            this.end = end;
        }

        @Override
        public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
            if (released.get()) {
                rejectClosed(receiver);
                return;
            }
            int remaining = end - position;
            if (remaining == 0) {
                release();
                receiver.onEnd();
                return;
            }
            int length = Math.min(CHUNK_SIZE, remaining);
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

    /** A source that could not even start: it reports its error on the first next(). */
    private static final class FailedSource implements ContentSource {
        private final Throwable error;

        FailedSource(Throwable error) {
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

    // ------------------------------------------------------------------------------------------------ Path

    private static final class PathContent extends MessageContent {
        private final Path file;
        private final long size;

        PathContent(Path file, long size) {
            this.file = file;
            this.size = size;
        }

        @Override
        public OptionalLong size() {
            return OptionalLong.of(size);
        }

        @Override
        public ContentSource open() {
            return new PathSource(file);
        }

        @Override
        public String toString() {
            return "MessageContent[file " + file + ", " + describeSize(size()) + "]";
        }
    }

    /**
     * Opens the file on a {@link FileOpener} thread, then reads it with positional asynchronous reads;
     * completions arrive on the channel's pool threads.
     * The length is fixed when the file is opened, so a file appended to during the send cannot make the
     * message longer than it was at the start of the send.
     */
    private static final class PathSource implements ContentSource {
        private final Path file;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile AsynchronousFileChannel channel;
        private volatile long position;
        private volatile long length;

        PathSource(Path file) {
            this.file = file;
        }

        @Override
        public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
            if (closed.get()) {
                rejectClosed(receiver);
                return;
            }
            AsynchronousFileChannel ch = channel;
            if (ch != null) {
                read(ch, alloc, receiver);
                return;
            }
            // The caller is an event loop and opening may block (slow disk, NFS): open on the file opener's
            // threads. The first read starts there too; its answer, like every read's, comes on a thread of the
            // channel's pool, and the receiver takes it from any thread.
            try {
                FileOpener.executor().execute(() -> openAndRead(alloc, receiver));
            } catch (RuntimeException e) {
                receiver.onError(readError(e));
            }
        }

        private void openAndRead(ByteBufAllocator alloc, ContentReceiver receiver) {
            if (closed.get()) {
                return; // closed while the open waited for a thread: the answer is dropped
            }
            AsynchronousFileChannel ch = null;
            try {
                ch = AsynchronousFileChannel.open(file, StandardOpenOption.READ);
                length = ch.size();
            } catch (IOException | RuntimeException e) {
                closeQuietly(ch);
                if (!closed.get()) {
                    receiver.onError(readError(e));
                }
                return;
            }
            channel = ch;
            if (closed.get()) {
                // close() ran while we were opening and saw no channel to close.
                closeQuietly(ch);
                return;
            }
            read(ch, alloc, receiver);
        }

        private void read(AsynchronousFileChannel ch, ByteBufAllocator alloc, ContentReceiver receiver) {
            long pos = position;
            if (pos >= length) {
                closeQuietly(ch);
                receiver.onEnd();
                return;
            }
            int want = (int) Math.min(CHUNK_SIZE, length - pos);
            ByteBuf buf = alloc.ioBuffer(want);
            try {
                ByteBuffer dst = buf.nioBuffer(buf.writerIndex(), want);
                ch.read(dst, pos, null, new ReadHandler(buf, receiver));
            } catch (RuntimeException e) {
                buf.release();
                closeQuietly(ch);
                if (!closed.get()) {
                    receiver.onError(readError(e));
                }
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                // Closing the channel also fails an outstanding read, whose handler then releases its buffer.
                closeQuietly(channel);
            }
        }

        private IOException readError(Throwable e) {
            String detail = e.getMessage() == null ? "" : ": " + e.getMessage();
            return new IOException("Cannot read message content file " + file + " ("
                    + e.getClass().getSimpleName() + detail + ")", e);
        }

        private static void closeQuietly(AsynchronousFileChannel ch) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // Read-only channel: nothing was buffered that a failed close could lose.
                }
            }
        }

        /** One outstanding read: owns its buffer until it hands it to the receiver. */
        private final class ReadHandler implements CompletionHandler<Integer, Void> {
            private final ByteBuf buf;
            private final ContentReceiver receiver;

            ReadHandler(ByteBuf buf, ContentReceiver receiver) {
                this.buf = buf;
                this.receiver = receiver;
            }

            @Override
            public void completed(Integer read, Void attachment) {
                if (closed.get()) {
                    buf.release();
                    return;
                }
                int n = read;
                if (n <= 0) {
                    buf.release();
                    closeQuietly(channel);
                    receiver.onError(new IOException("Message content file " + file + " shrank while being sent: it ended at byte "
                            + position + " of " + length));
                    return;
                }
                // A short read is fine: the next read continues where this one stopped.
                buf.writerIndex(buf.writerIndex() + n);
                position += n;
                receiver.onChunk(buf);
            }

            @Override
            public void failed(Throwable error, Void attachment) {
                buf.release();
                if (closed.get()) {
                    return; // the failure is our own close()
                }
                closeQuietly(channel);
                receiver.onError(readError(error));
            }
        }
    }

    // ------------------------------------------------------------------------------------------- Publisher

    private static final class PublisherContent extends MessageContent {
        private final Flow.Publisher<? extends ByteBuf> publisher;

        PublisherContent(Flow.Publisher<? extends ByteBuf> publisher) {
            this.publisher = publisher;
        }

        @Override
        public OptionalLong size() {
            return OptionalLong.empty();
        }

        @Override
        public ContentSource open() {
            return new PublisherSource(publisher);
        }

        @Override
        public String toString() {
            return "MessageContent[publisher, " + describeSize(size()) + "]";
        }
    }

    /**
     * Bridges pull (next) to Reactive Streams push: each next() requests one element. Calls to request and
     * cancel are serialised through a small drain loop (rule 2.7), which also stops request from recursing
     * when the publisher answers synchronously (rule 3.3). Delivery state is guarded by a lock; callbacks to
     * the receiver always run outside it.
     */
    private static final class PublisherSource implements ContentSource, Flow.Subscriber<ByteBuf> {
        private static final Object COMPLETE = new Object();

        private final Flow.Publisher<? extends ByteBuf> publisher;
        private final Object lock = new Object();
        private final AtomicBoolean subscribed = new AtomicBoolean();
        private final AtomicInteger wip = new AtomicInteger();
        private final AtomicLong requested = new AtomicLong();
        private volatile Flow.Subscription subscription;
        private volatile boolean cancelRequested;
        private boolean cancelled; // only touched inside the drain loop

        // Guarded by lock.
        private ContentReceiver waiting;
        private Object terminal; // COMPLETE or a Throwable, once the publisher has ended
        private boolean closed;

        PublisherSource(Flow.Publisher<? extends ByteBuf> publisher) {
            this.publisher = publisher;
        }

        @Override
        public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
            Object end;
            boolean isClosed;
            synchronized (lock) {
                isClosed = closed;
                end = terminal;
                if (!isClosed && end == null) {
                    waiting = receiver;
                }
            }
            if (isClosed) {
                rejectClosed(receiver);
                return;
            }
            if (end != null) {
                deliverTerminal(receiver, end);
                return;
            }
            requested.incrementAndGet();
            if (subscribed.compareAndSet(false, true)) {
                try {
                    publisher.subscribe(this);
                } catch (RuntimeException e) {
                    // Rule 1.9 forbids this, but a broken publisher must not leave the send hanging.
                    onError(e);
                    return;
                }
            }
            drain();
        }

        @Override
        public void close() {
            boolean ended;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                closed = true;
                waiting = null;
                ended = terminal != null;
            }
            if (!ended) {
                // Rule 2.4: after onComplete/onError the subscription is already over; nothing to cancel.
                cancelRequested = true;
                drain();
            }
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            Objects.requireNonNull(s, "subscription");
            if (subscription != null) {
                s.cancel(); // rule 2.5: one active subscription
                return;
            }
            subscription = s;
            drain();
        }

        @Override
        public void onNext(ByteBuf chunk) {
            if (chunk == null) {
                fail(new NullPointerException("the content publisher emitted null"));
                throw new NullPointerException("onNext(null)"); // rule 2.13
            }
            ContentReceiver receiver;
            boolean drop;
            synchronized (lock) {
                receiver = waiting;
                waiting = null;
                drop = closed || terminal != null;
            }
            if (drop) {
                chunk.release();
                return;
            }
            if (receiver == null) {
                chunk.release();
                fail(new IllegalStateException("the content publisher emitted more buffers than requested"));
                return;
            }
            receiver.onChunk(chunk);
        }

        @Override
        public void onError(Throwable error) {
            Objects.requireNonNull(error, "error");
            terminate(error);
        }

        @Override
        public void onComplete() {
            terminate(COMPLETE);
        }

        /** Ends the stream on our side because the publisher broke the rules; it is cancelled. */
        private void fail(Throwable error) {
            cancelRequested = true;
            drain();
            terminate(error);
        }

        private void terminate(Object end) {
            ContentReceiver receiver;
            synchronized (lock) {
                if (terminal != null || closed) {
                    return;
                }
                terminal = end;
                receiver = waiting;
                waiting = null;
            }
            if (receiver != null) {
                deliverTerminal(receiver, end);
            }
        }

        private static void deliverTerminal(ContentReceiver receiver, Object end) {
            if (end == COMPLETE) {
                receiver.onEnd();
            } else {
                receiver.onError((Throwable) end);
            }
        }

        /** Serialises request/cancel; whoever increments wip from 0 does the work others asked for. */
        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            do {
                Flow.Subscription s = subscription;
                if (s != null && !cancelled) {
                    if (cancelRequested) {
                        cancelled = true;
                        requested.set(0);
                        s.cancel();
                    } else {
                        long n = requested.getAndSet(0);
                        if (n > 0) {
                            s.request(n);
                        }
                    }
                }
            } while (wip.decrementAndGet() != 0);
        }
    }
}
