package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MessageContentTest {

    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final int KIB = 1024;

    @TempDir
    Path tmp;

    // ------------------------------------------------------------------------------------------ helpers

    /** What one pass over a source produced. */
    static final class Drained {
        final byte[] bytes;
        final List<Integer> chunkSizes;

        Drained(byte[] bytes, List<Integer> chunkSizes) {
            this.bytes = bytes;
            this.chunkSizes = chunkSizes;
        }
    }

    /** A receiver that completes a future with the one answer it gets: a ByteBuf, END, or a Throwable. */
    static final class FutureReceiver implements ContentReceiver {
        static final Object END = new Object();
        final CompletableFuture<Object> answer = new CompletableFuture<>();
        final AtomicLong calls = new AtomicLong();
        volatile Thread answeredOn;

        @Override
        public void onChunk(ByteBuf chunk) {
            calls.incrementAndGet();
            if (!answer.complete(chunk)) {
                chunk.release();
            }
        }

        @Override
        public void onEnd() {
            calls.incrementAndGet();
            answeredOn = Thread.currentThread();
            answer.complete(END);
        }

        @Override
        public void onError(Throwable error) {
            calls.incrementAndGet();
            answer.complete(error);
        }

        Object await() throws Exception {
            return answer.get(10, TimeUnit.SECONDS);
        }
    }

    /** Pulls the source to its end (bounded), releasing every chunk; rethrows a content error. */
    static Drained drain(ContentSource source) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> sizes = new ArrayList<>();
        try {
            for (int i = 0; i < 10_000; i++) {
                FutureReceiver receiver = new FutureReceiver();
                source.next(ALLOC, receiver);
                Object answer = receiver.await();
                if (answer == FutureReceiver.END) {
                    return new Drained(out.toByteArray(), sizes);
                }
                if (answer instanceof Throwable) {
                    throw new ContentFailed((Throwable) answer);
                }
                ByteBuf chunk = (ByteBuf) answer;
                try {
                    sizes.add(chunk.readableBytes());
                    byte[] bytes = new byte[chunk.readableBytes()];
                    chunk.getBytes(chunk.readerIndex(), bytes);
                    out.write(bytes);
                } finally {
                    chunk.release();
                }
            }
            throw new AssertionError("source did not end within 10000 chunks");
        } finally {
            source.close();
        }
    }

    /** The error a source reported through onError. */
    static final class ContentFailed extends Exception {
        private static final long serialVersionUID = 1L;

        ContentFailed(Throwable cause) {
            super(cause);
        }
    }

    private static byte[] random(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    // ------------------------------------------------------------------------------------------- byte[]

    @Test
    void byteArrayIsReadInWrappedChunksOf128KiB() throws Exception {
        byte[] content = random(300 * KIB);
        MessageContent message = MessageContent.of(content);
        assertThat(message.size()).isEqualTo(OptionalLong.of(300 * KIB));

        Drained drained = drain(message.open());
        assertThat(drained.bytes).isEqualTo(content);
        assertThat(drained.chunkSizes).containsExactly(128 * KIB, 128 * KIB, 44 * KIB);
        // A message of up to 128 KiB is one chunk: it leaves in one write, with its terminator.
        assertThat(drain(MessageContent.of(random(128 * KIB)).open()).chunkSizes).containsExactly(128 * KIB);
        // Re-opening gives the same bytes again.
        assertThat(drain(message.open()).bytes).isEqualTo(content);
    }

    @Test
    void byteArrayChunksShareTheArray() throws Exception {
        byte[] content = "Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        FutureReceiver receiver = new FutureReceiver();
        ContentSource source = MessageContent.of(content).open();
        source.next(ALLOC, receiver);
        ByteBuf chunk = (ByteBuf) receiver.await();
        try {
            assertThat(chunk.hasArray()).isTrue();
            assertThat(chunk.array()).isSameAs(content);
        } finally {
            chunk.release();
            source.close();
        }
    }

    @Test
    void emptyContentEndsAtOnce() throws Exception {
        Drained drained = drain(MessageContent.of(new byte[0]).open());
        assertThat(drained.bytes).isEmpty();
        assertThat(drained.chunkSizes).isEmpty();
    }

    @Test
    void stringIsUtf8AndToStringHidesTheContent() throws Exception {
        MessageContent message = MessageContent.of("Subject: s\u00e9cret\r\n\r\nconfidential\r\n");
        byte[] expected = "Subject: s\u00e9cret\r\n\r\nconfidential\r\n".getBytes(StandardCharsets.UTF_8);
        assertThat(message.size()).isEqualTo(OptionalLong.of(expected.length));
        assertThat(drain(message.open()).bytes).isEqualTo(expected);
        assertThat(message.toString()).contains("string").contains(String.valueOf(expected.length))
                .doesNotContain("confidential").doesNotContain("Subject");
    }

    @Test
    void nextAfterCloseAnswersWithAnError() throws Exception {
        ContentSource source = MessageContent.of("x").open();
        source.close();
        source.close(); // idempotent
        FutureReceiver receiver = new FutureReceiver();
        source.next(ALLOC, receiver);
        assertThat(receiver.await()).isInstanceOf(IllegalStateException.class);
    }

    // ------------------------------------------------------------------------------------------ ByteBuf

    @Test
    void byteBufIsReadWithoutDisturbingTheCaller() throws Exception {
        byte[] content = random(200 * KIB);
        ByteBuf buf = ALLOC.directBuffer(content.length + 10);
        try {
            buf.writeBytes(new byte[10]).writeBytes(content);
            buf.readerIndex(10);
            MessageContent message = MessageContent.of(buf);
            assertThat(message.size()).isEqualTo(OptionalLong.of(content.length));
            assertThat(message.toString()).contains("ByteBuf");

            Drained drained = drain(message.open());
            assertThat(drained.bytes).isEqualTo(content);
            assertThat(drained.chunkSizes).containsExactly(128 * KIB, 72 * KIB);
            assertThat(buf.readerIndex()).isEqualTo(10);
            assertThat(buf.refCnt()).isEqualTo(1);

            // Each send reads it again.
            assertThat(drain(message.open()).bytes).isEqualTo(content);
            assertThat(buf.readerIndex()).isEqualTo(10);
            assertThat(buf.refCnt()).isEqualTo(1);
        } finally {
            buf.release();
        }
    }

    @Test
    void byteBufSendHoldsItsOwnReferenceUntilClosed() throws Exception {
        byte[] content = random(100 * KIB);
        ByteBuf buf = ALLOC.heapBuffer().writeBytes(content);
        MessageContent message = MessageContent.of(buf);
        ContentSource source = message.open();
        FutureReceiver receiver = new FutureReceiver();
        source.next(ALLOC, receiver);
        ByteBuf chunk = (ByteBuf) receiver.await();
        // The caller lets go mid-send: the send's own reference keeps the memory alive.
        buf.release();
        assertThat(buf.refCnt()).isPositive();
        assertThat(chunk.getByte(100 * KIB - 1)).isEqualTo(content[100 * KIB - 1]);
        chunk.release();
        source.close();
        source.close();
        assertThat(buf.refCnt()).isZero();
        // After the caller released it, a new send fails instead of reading freed memory.
        assertThatThrownBy(() -> drain(message.open())).isInstanceOf(ContentFailed.class)
                .hasRootCauseInstanceOf(io.netty.util.IllegalReferenceCountException.class);
    }

    // --------------------------------------------------------------------------------------------- Path

    @Test
    void fileIsStreamedInChunks() throws Exception {
        byte[] content = random(1024 * KIB);
        Path file = Files.write(tmp.resolve("message.eml"), content);
        MessageContent message = MessageContent.of(file);
        assertThat(message.size()).isEqualTo(OptionalLong.of(content.length));
        assertThat(message.toString()).contains("file").contains(String.valueOf(content.length));

        Drained drained = drain(message.open());
        assertThat(drained.bytes).isEqualTo(content);
        assertThat(drained.chunkSizes).hasSizeGreaterThanOrEqualTo(16).allMatch(n -> n > 0 && n <= 64 * KIB);
        assertThat(drain(message.open()).bytes).isEqualTo(content);
    }

    @Test
    void emptyFileEndsAtOnce() throws Exception {
        Path file = Files.write(tmp.resolve("empty.eml"), new byte[0]);
        assertThat(drain(MessageContent.of(file).open()).bytes).isEmpty();
    }

    @Test
    void missingFileIsRejectedEagerlyNamingThePath() {
        Path missing = tmp.resolve("no-such-message.eml");
        assertThatThrownBy(() -> MessageContent.of(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> MessageContent.of(tmp)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(tmp.toString());
    }

    @Test
    void fileDeletedBeforeTheSendFailsAtSendTimeNamingThePath() throws Exception {
        Path file = Files.write(tmp.resolve("gone.eml"), random(10));
        MessageContent message = MessageContent.of(file);
        Files.delete(file);
        assertThatThrownBy(() -> drain(message.open())).isInstanceOf(ContentFailed.class)
                .cause().isInstanceOf(IOException.class).hasMessageContaining(file.toString());
    }

    @Test
    void aFileIsOpenedOffTheThreadThatAsksForTheFirstChunk() throws Exception {
        Path file = Files.write(tmp.resolve("slow.eml"), random(10));
        MessageContent message = MessageContent.of(file);
        // In its place a FIFO, whose open for reading blocks until a writer opens it: an open that hangs, like one
        // on a hung NFS mount.
        replaceWithFifo(file);
        ContentSource source = message.open();
        FutureReceiver receiver = new FutureReceiver();
        CompletableFuture<Void> nextReturned = onDaemonThread(() -> source.next(ALLOC, receiver));
        try {
            nextReturned.get(10, TimeUnit.SECONDS);
            assertThat(receiver.answer).as("the open still waits for a writer").isNotDone();
        } finally {
            openForWriting(file);
        }
        // A FIFO's size is 0: the content ends at once, on the thread that opened it.
        assertThat(receiver.await()).isSameAs(FutureReceiver.END);
        assertThat(receiver.answeredOn.getName()).startsWith("reactive-smtp-file-open-");
        assertThat(receiver.answeredOn.isDaemon()).isTrue();
        source.close();
    }

    /** Replaces a file by a FIFO (a named pipe) of the same name. */
    static void replaceWithFifo(Path file) throws Exception {
        Files.delete(file);
        Process mkfifo = new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();
    }

    /** Opens a FIFO for writing and closes it: a reader blocked in its open gets going (bounded wait). */
    static void openForWriting(Path fifo) throws Exception {
        onDaemonThread(() -> {
            try {
                Files.newOutputStream(fifo).close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(10, TimeUnit.SECONDS);
    }

    /** Runs a task that may block forever on a thread that cannot keep the JVM alive. */
    static CompletableFuture<Void> onDaemonThread(Runnable task) {
        return CompletableFuture.runAsync(task, r -> {
            Thread t = new Thread(r, "test-may-block");
            t.setDaemon(true);
            t.start();
        });
    }

    @Test
    void fileSourceClosedWhileReadingDeliversNothingAndLeaksNothing() throws Exception {
        Path file = Files.write(tmp.resolve("big.eml"), random(512 * KIB));
        for (int i = 0; i < 20; i++) {
            ContentSource source = MessageContent.of(file).open();
            FutureReceiver first = new FutureReceiver();
            source.next(ALLOC, first);
            ((ByteBuf) first.await()).release();
            AtomicLong secondCalls = new AtomicLong();
            source.next(ALLOC, new ContentReceiver() {
                @Override
                public void onChunk(ByteBuf chunk) {
                    // Only a chunk already on its way when close() ran can get here; a receiver releases it.
                    secondCalls.incrementAndGet();
                    chunk.release();
                }

                @Override
                public void onEnd() {
                    secondCalls.incrementAndGet();
                }

                @Override
                public void onError(Throwable error) {
                    secondCalls.incrementAndGet();
                }
            });
            source.close();
            Thread.sleep(5);
            assertThat(secondCalls.get()).isLessThanOrEqualTo(1);
        }
    }

    // ---------------------------------------------------------------------------------------- Publisher

    /** Emits copies of the given chunks on demand, synchronously; a new run per subscription. */
    static final class ListPublisher implements Flow.Publisher<ByteBuf> {
        final List<byte[]> chunks;
        final AtomicLong subscriptions = new AtomicLong();

        ListPublisher(List<byte[]> chunks) {
            this.chunks = chunks;
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuf> subscriber) {
            subscriptions.incrementAndGet();
            subscriber.onSubscribe(new Flow.Subscription() {
                int index;
                boolean done;

                @Override
                public void request(long n) {
                    for (long i = 0; i < n && index < chunks.size() && !done; i++) {
                        subscriber.onNext(Unpooled.copiedBuffer(chunks.get(index++)));
                    }
                    if (index == chunks.size() && !done) {
                        done = true;
                        subscriber.onComplete();
                    }
                }

                @Override
                public void cancel() {
                    done = true;
                }
            });
        }
    }

    /** A publisher the test drives by hand; records demand and cancellation. */
    static final class ManualPublisher implements Flow.Publisher<ByteBuf> {
        final AtomicReference<Flow.Subscriber<? super ByteBuf>> subscriber = new AtomicReference<>();
        final AtomicLong requested = new AtomicLong();
        final AtomicBoolean cancelled = new AtomicBoolean();
        final List<Long> requests = new CopyOnWriteArrayList<>();

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuf> s) {
            subscriber.set(s);
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    requests.add(n);
                    requested.addAndGet(n);
                }

                @Override
                public void cancel() {
                    cancelled.set(true);
                }
            });
        }
    }

    @Test
    void publisherIsReadFullyAndEachOpenSubscribesAnew() throws Exception {
        List<byte[]> chunks = List.of(random(100), random(70 * KIB), new byte[0], random(5));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (byte[] chunk : chunks) {
            expected.write(chunk);
        }
        ListPublisher publisher = new ListPublisher(chunks);
        MessageContent message = MessageContent.of(publisher);
        assertThat(message.size()).isEmpty();
        assertThat(message.toString()).contains("publisher");

        Drained drained = drain(message.open());
        assertThat(drained.bytes).isEqualTo(expected.toByteArray());
        assertThat(drained.chunkSizes).containsExactly(100, 70 * KIB, 0, 5);
        assertThat(drain(message.open()).bytes).isEqualTo(expected.toByteArray());
        assertThat(publisher.subscriptions.get()).isEqualTo(2);
    }

    @Test
    void publisherGetsOneRequestPerNext() throws Exception {
        ManualPublisher publisher = new ManualPublisher();
        ContentSource source = MessageContent.of(publisher).open();
        assertThat(publisher.subscriber.get()).as("no subscription before the first next()").isNull();

        FutureReceiver first = new FutureReceiver();
        source.next(ALLOC, first);
        assertThat(publisher.requests).containsExactly(1L);
        publisher.subscriber.get().onNext(Unpooled.copiedBuffer("ab", StandardCharsets.US_ASCII));
        ByteBuf chunk = (ByteBuf) first.await();
        assertThat(chunk.toString(StandardCharsets.US_ASCII)).isEqualTo("ab");
        chunk.release();

        // Completion without outstanding demand is remembered for the next call.
        publisher.subscriber.get().onComplete();
        FutureReceiver second = new FutureReceiver();
        source.next(ALLOC, second);
        assertThat(second.await()).isSameAs(FutureReceiver.END);
        assertThat(publisher.requests).containsExactly(1L);
        source.close();
        assertThat(publisher.cancelled).isFalse().as("a completed subscription is not cancelled");
    }

    @Test
    void publisherErrorReachesTheReceiver() throws Exception {
        ManualPublisher publisher = new ManualPublisher();
        ContentSource source = MessageContent.of(publisher).open();
        FutureReceiver receiver = new FutureReceiver();
        source.next(ALLOC, receiver);
        IOException boom = new IOException("upstream broke");
        publisher.subscriber.get().onError(boom);
        assertThat(receiver.await()).isSameAs(boom);
        source.close();
    }

    @Test
    void closeWhileAChunkIsOutstandingCancelsAndReleasesTheLateChunk() throws Exception {
        ManualPublisher publisher = new ManualPublisher();
        ContentSource source = MessageContent.of(publisher).open();
        FutureReceiver receiver = new FutureReceiver();
        source.next(ALLOC, receiver);
        assertThat(publisher.requested.get()).isEqualTo(1);

        source.close();
        assertThat(publisher.cancelled).isTrue();

        ByteBuf late = Unpooled.copiedBuffer("late", StandardCharsets.US_ASCII);
        publisher.subscriber.get().onNext(late);
        assertThat(late.refCnt()).isZero();
        publisher.subscriber.get().onComplete();
        assertThat(receiver.calls.get()).isZero();
    }

    @Test
    void publisherEmittingMoreThanRequestedIsCancelledAndFails() throws Exception {
        ManualPublisher publisher = new ManualPublisher();
        ContentSource source = MessageContent.of(publisher).open();
        FutureReceiver first = new FutureReceiver();
        source.next(ALLOC, first);
        publisher.subscriber.get().onNext(Unpooled.copiedBuffer("a", StandardCharsets.US_ASCII));
        ((ByteBuf) first.await()).release();

        ByteBuf extra = Unpooled.copiedBuffer("unrequested", StandardCharsets.US_ASCII);
        publisher.subscriber.get().onNext(extra);
        assertThat(extra.refCnt()).isZero();
        assertThat(publisher.cancelled).isTrue();

        FutureReceiver second = new FutureReceiver();
        source.next(ALLOC, second);
        assertThat(second.await()).isInstanceOf(IllegalStateException.class);
        source.close();
    }

    @Test
    void closeBeforeSubscriptionArrivesCancelsIt() {
        // A publisher that hands out the subscription later, on its own schedule.
        AtomicReference<Flow.Subscriber<? super ByteBuf>> pending = new AtomicReference<>();
        Flow.Publisher<ByteBuf> slow = pending::set;
        ContentSource source = MessageContent.of(slow).open();
        FutureReceiver receiver = new FutureReceiver();
        source.next(ALLOC, receiver);
        source.close();

        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicLong requested = new AtomicLong();
        pending.get().onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                requested.addAndGet(n);
            }

            @Override
            public void cancel() {
                cancelled.set(true);
            }
        });
        assertThat(cancelled).isTrue();
        assertThat(requested.get()).isZero();
        assertThat(receiver.calls.get()).isZero();
    }
}
