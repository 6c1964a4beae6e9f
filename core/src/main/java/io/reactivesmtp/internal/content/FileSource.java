package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivesmtp.protocol.ContentReceiver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executor;

/**
 * Opens the file on a thread of the {@link ContentThreads#fileOpens() file opener}, then reads it with positional asynchronous reads;
 * completions arrive on the channel's pool threads.
 * The length is fixed when the file is opened, so a file appended to during the send cannot make the
 * message longer than it was at the start of the send.
 */
public final class FileSource extends SourceBase {
    private final Path file;
    private final Executor opener;
    private volatile AsynchronousFileChannel channel;
    private volatile long position;
    private volatile long length;

    /**
     * @param file the file, opened at the first {@code next}
     * @param opener where the file is opened (opening may block: never an event loop)
     */
    public FileSource(Path file, Executor opener) {
        this.file = file;
        this.opener = opener;
    }

    @Override
    public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
        if (rejectIfClosed(receiver)) {
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
            opener.execute(() -> openAndRead(alloc, receiver));
        } catch (RuntimeException e) {
            receiver.onError(readError(e));
        }
    }

    private void openAndRead(ByteBufAllocator alloc, ContentReceiver receiver) {
        if (isClosed()) {
            return; // closed while the open waited for a thread: the answer is dropped
        }
        AsynchronousFileChannel ch = null;
        try {
            ch = AsynchronousFileChannel.open(file, StandardOpenOption.READ);
            length = ch.size();
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            if (!isClosed()) {
                receiver.onError(readError(e));
            }
            return;
        }
        channel = ch;
        if (isClosed()) {
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
        int want = (int) Math.min(Sources.CHUNK_SIZE, length - pos);
        ByteBuf buf = alloc.ioBuffer(want);
        try {
            ByteBuffer dst = buf.nioBuffer(buf.writerIndex(), want);
            ch.read(dst, pos, null, new ReadHandler(buf, receiver));
        } catch (RuntimeException e) {
            buf.release();
            closeQuietly(ch);
            if (!isClosed()) {
                receiver.onError(readError(e));
            }
        }
    }

    @Override
    void onClose() {
        // Closing the channel also fails an outstanding read, whose handler then releases its buffer.
        closeQuietly(channel);
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
            if (isClosed()) {
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
            if (isClosed()) {
                return; // the failure is our own close()
            }
            closeQuietly(channel);
            receiver.onError(readError(error));
        }
    }
}
