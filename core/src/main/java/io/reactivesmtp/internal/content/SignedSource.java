package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.dkim.DkimStreamSigner;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * One signed send of a message's content (what {@code content.signedWith(signers)} opens): the
 * {@code DKIM-Signature} headers first, then the content unchanged.
 *
 * <p>DKIM puts the body hash ({@code bh=}) in a header that precedes the body, so the body must be hashed before
 * the first byte goes out. This source does it in two passes and never holds the body in memory:
 * <ol>
 *   <li>the hash pass reads the content once, chunk by chunk, through a {@link DkimStreamSigner} (line endings
 *       normalised as the DATA encoder does, header block collected up to {@link DkimSigner#MAX_HEADER_BLOCK_BYTES},
 *       the body canonicalised and hashed incrementally, memory constant); content from a publisher, which can
 *       be subscribed only once per send, is spooled to an owner-only temporary file during that pass;</li>
 *   <li>the signatures are computed, their headers are the first chunk, then the content is read again (the
 *       array, buffer or file itself, or the spool file, deleted at the end) and sent as it is.</li>
 * </ol>
 * The hash pass, the spooling and the signing run on the executor it is given (never a Netty event loop).
 */
public final class SignedSource implements ContentSource {

    private enum Phase { NEW, HASHING, HEADER_SENT, STREAMING, FAILED }

    private final ContentOpener content;
    private final Executor executor;
    private final Executor fileOpens;
    private final List<DkimSigner> signers;
    private final boolean spool;
    private final Object lock = new Object();

    // Guarded by lock.
    private Phase phase = Phase.NEW;
    private ContentReceiver waiting;
    private boolean closed;
    private ContentSource hashSource;
    private ContentSource sendSource;
    private FileChannel spoolChannel;
    private Path spoolFile;

    // Only touched by the hash pass, one task at a time.
    private ByteBufAllocator alloc;
    private DkimStreamSigner hasher;

    /**
     * Opens one signed pass.
     *
     * @param content the content to sign; opened once (spool) or twice (otherwise)
     * @param signers one or more signers, one {@code DKIM-Signature} each, in this order
     * @param spool true for content that may be read only once per send (a publisher): it is copied to a
     *              temporary file while it is hashed, and sent from there
     * @param executor where the hash pass and the signing run (never an event loop)
     * @param fileOpens where the spool file is opened for the send pass
     */
    public SignedSource(ContentOpener content, List<DkimSigner> signers, boolean spool, Executor executor,
            Executor fileOpens) {
        this.content = Objects.requireNonNull(content, "content");
        if (signers.isEmpty()) {
            throw new IllegalArgumentException("no DKIM signer given");
        }
        this.signers = List.copyOf(signers);
        this.spool = spool;
        this.executor = Objects.requireNonNull(executor, "executor");
        this.fileOpens = Objects.requireNonNull(fileOpens, "fileOpens");
    }

    @Override
    public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
        ContentSource send;
        boolean rejected = false;
        synchronized (lock) {
            if (closed || phase == Phase.FAILED) {
                rejected = true;
                send = null;
            } else if (phase == Phase.NEW) {
                phase = Phase.HASHING;
                waiting = receiver;
                this.alloc = alloc;
                send = null;
            } else {
                if (phase == Phase.HEADER_SENT) {
                    phase = Phase.STREAMING;
                    sendSource = spool ? new FileSource(spoolFile, fileOpens) : content.open();
                }
                send = sendSource;
            }
        }
        if (rejected) {
            receiver.onError(new IllegalStateException("content source already closed"));
            return;
        }
        if (send == null) {
            executor.execute(this::beginHash);
            return;
        }
        send.next(alloc, spool ? new SpoolCleanup(receiver) : receiver);
    }

    @Override
    public void close() {
        ContentSource hash;
        ContentSource send;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            waiting = null;
            hash = hashSource;
            send = sendSource;
        }
        if (hash != null) {
            hash.close();
        }
        if (send != null) {
            send.close();
        }
        deleteSpool();
    }

    // ----------------------------------------------------------------------------------- the hash pass

    private void beginHash() {
        try {
            hasher = DkimStreamSigner.of(signers);
            ContentSource source = content.open();
            synchronized (lock) {
                hashSource = source;
                if (closed) {
                    source.close();
                    return;
                }
            }
            if (spool) {
                Path file = Files.createTempFile("reactive-smtp-dkim-", ".eml"); // owner-only on POSIX
                FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
                synchronized (lock) {
                    spoolFile = file;
                    spoolChannel = channel;
                }
                if (isClosed()) {
                    deleteSpool();
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
            return;
        }
        pump();
    }

    private void pump() {
        ContentSource source;
        synchronized (lock) {
            if (closed) {
                return;
            }
            source = hashSource;
        }
        try {
            source.next(alloc, new HashReceiver());
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Hops every answer to the DKIM pool: no hashing on the event loop, and no recursion for synchronous sources. */
    private final class HashReceiver implements ContentReceiver {
        @Override
        public void onChunk(ByteBuf chunk) {
            executor.execute(() -> hashChunk(chunk));
        }

        @Override
        public void onEnd() {
            executor.execute(SignedSource.this::complete);
        }

        @Override
        public void onError(Throwable error) {
            executor.execute(() -> fail(error));
        }
    }

    private void hashChunk(ByteBuf chunk) {
        try {
            if (isClosed()) {
                return;
            }
            hasher.update(chunk);
            if (spool) {
                FileChannel channel;
                synchronized (lock) {
                    channel = spoolChannel;
                }
                ByteBuffer nio = chunk.nioBuffer();
                while (nio.hasRemaining()) {
                    channel.write(nio);
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
            return;
        } finally {
            chunk.release();
        }
        pump();
    }

    private void complete() {
        ByteBuf header;
        try {
            closeHashSource();
            if (spool) {
                FileChannel channel;
                synchronized (lock) {
                    channel = spoolChannel;
                    spoolChannel = null;
                }
                if (channel != null) {
                    channel.close();
                }
            }
            header = Unpooled.wrappedBuffer(hasher.finish().getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException | RuntimeException e) {
            fail(e);
            return;
        }
        ContentReceiver receiver;
        synchronized (lock) {
            receiver = waiting;
            waiting = null;
            if (!closed && receiver != null) {
                phase = Phase.HEADER_SENT;
            }
        }
        if (receiver == null || isClosed()) {
            header.release(); // closed while signing: nobody takes the header
            return;
        }
        receiver.onChunk(header);
    }

    private void fail(Throwable error) {
        closeHashSource();
        deleteSpool();
        ContentReceiver receiver;
        synchronized (lock) {
            receiver = waiting;
            waiting = null;
            if (closed || receiver == null) {
                return;
            }
            phase = Phase.FAILED;
        }
        receiver.onError(error);
    }

    private void closeHashSource() {
        ContentSource source;
        synchronized (lock) {
            source = hashSource;
        }
        if (source != null) {
            source.close();
        }
    }

    private void deleteSpool() {
        FileChannel channel;
        Path file;
        synchronized (lock) {
            channel = spoolChannel;
            file = spoolFile;
            spoolChannel = null;
            spoolFile = null;
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // The file is deleted next; nothing buffered in it matters.
            }
        }
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // A temporary file in the temporary directory: left for the system to clean.
            }
        }
    }

    /** Deletes the spool file once the send pass has read it to its end or failed. */
    private final class SpoolCleanup implements ContentReceiver {
        private final ContentReceiver receiver;

        SpoolCleanup(ContentReceiver receiver) {
            this.receiver = receiver;
        }

        @Override
        public void onChunk(ByteBuf chunk) {
            receiver.onChunk(chunk);
        }

        @Override
        public void onEnd() {
            deleteSpoolFile();
            receiver.onEnd();
        }

        @Override
        public void onError(Throwable error) {
            deleteSpoolFile();
            receiver.onError(error);
        }
    }

    private void deleteSpoolFile() {
        Path file;
        synchronized (lock) {
            file = spoolFile;
            spoolFile = null;
        }
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // As above.
            }
        }
    }
}
