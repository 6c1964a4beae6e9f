package io.reactivesmtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;
import io.reactivesmtp.testing.DkimTestKeys;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code MessageContent.signedWith}: the same signatures whatever the kind of content, then the content as it is. */
class DkimSignedContentTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private static DkimSigner rsa() {
        return DkimSigner.builder().key(DkimTestKeys.rsa().getPrivate()).domain("example.com").selector("rsa")
                .clock(CLOCK).build();
    }

    private static DkimSigner ed25519() {
        return DkimSigner.builder().key(DkimTestKeys.ed25519().getPrivate()).domain("example.com").selector("ed")
                .canonicalization(DkimCanonicalization.SIMPLE, DkimCanonicalization.SIMPLE).clock(CLOCK).build();
    }

    /** A message over several 64 KiB chunks with a mix of line endings. */
    private static byte[] message() {
        StringBuilder b = new StringBuilder("From: a@example.com\nTo: b@example.net\r\nSubject: chunks\r\n\r\n");
        for (int i = 0; b.length() < 200_000; i++) {
            b.append("line ").append(i).append(i % 3 == 0 ? "\n" : i % 3 == 1 ? "\r\n" : "\r");
        }
        return b.append("\r\n\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void everyKindOfContentGetsTheSameSignaturesInFrontOfItsBytes() throws Exception {
        byte[] message = message();
        Path file = Files.write(dir.resolve("m.eml"), message);
        ByteBuf buf = Unpooled.wrappedBuffer(message);
        try {
            List<MessageContent> kinds = List.of(MessageContent.of(message), MessageContent.of(file),
                    MessageContent.of(buf), MessageContent.of(new ChunkPublisher(message, 7_000)));
            String expectedHeaders = rsa().sign(message) + ed25519().sign(message);
            for (MessageContent kind : kinds) {
                MessageContent signed = kind.signedWith(rsa(), ed25519());
                assertThat(signed.size().isPresent()).isEqualTo(kind.size().isPresent());
                byte[] sent = drain(signed.open());
                String text = new String(sent, StandardCharsets.ISO_8859_1);
                assertThat(text).as("%s", kind).startsWith(expectedHeaders);
                assertThat(text.substring(expectedHeaders.length()))
                        .isEqualTo(new String(message, StandardCharsets.ISO_8859_1));
                assertThat(signed.size().orElse(Long.MAX_VALUE)).isGreaterThanOrEqualTo(sent.length);
            }
        } finally {
            buf.release();
        }
        try (Stream<Path> left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            // The publisher's spool file is deleted once it was sent (other tests may run: only ours could match
            // this prefix in this JVM's window, and the check is that none is left).
            assertThat(left.filter(p -> p.getFileName().toString().startsWith("reactive-smtp-dkim-"))
                    .filter(p -> p.toFile().lastModified() > System.currentTimeMillis() - 60_000)).isEmpty();
        }
    }

    @Test
    void signingSignedContentAddsSigners() throws Exception {
        byte[] message = message();
        MessageContent twice = MessageContent.of(message).signedWith(rsa()).signedWith(ed25519());
        String text = new String(drain(twice.open()), StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith(rsa().sign(message) + ed25519().sign(message));
    }

    @Test
    void inMemoryContentThatCannotBeSignedIsRefusedAtOnce() {
        assertThatThrownBy(() -> MessageContent.of("Subject: none\r\n\r\nbody\r\n").signedWith(rsa()))
                .isInstanceOf(DkimSigningException.class).hasMessageContaining("no From: header");
        assertThatThrownBy(() -> MessageContent.of("Subject: none".getBytes(StandardCharsets.US_ASCII))
                .withBodyType(io.reactivesmtp.BodyType.SEVEN_BIT).signedWith(rsa()))
                .isInstanceOf(DkimSigningException.class);
        // A From in the body does not count; one after a folded line does.
        assertThatThrownBy(() -> MessageContent.of("Subject: x\r\n\r\nFrom: a@b.test\r\n").signedWith(rsa()))
                .isInstanceOf(DkimSigningException.class);
        MessageContent.of("Subject: x\r\n folded\nFrom: a@b.test\n\nbody").signedWith(rsa());
    }

    @Test
    void aFileWithoutFromFailsItsSendBeforeAnyByte() throws Exception {
        Path file = Files.writeString(dir.resolve("nofrom.eml"), "Subject: none\r\n\r\nbody\r\n");
        MessageContent signed = MessageContent.of(file).signedWith(rsa());
        ContentSource source = signed.open();
        Object answer = next(source);
        source.close();
        assertThat(answer).isInstanceOf(DkimSigningException.class);
        assertThat(((Throwable) answer).getMessage()).contains("no From: header");
    }

    @Test
    void closingWhileHashingAPublisherDeletesTheSpoolAndReleasesEverything() throws Exception {
        AtomicInteger emitted = new AtomicInteger();
        Flow.Publisher<ByteBuf> endless = s -> s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                for (long i = 0; i < n; i++) {
                    emitted.incrementAndGet();
                    s.onNext(Unpooled.copiedBuffer("From: a@b.test\r\n\r\n", StandardCharsets.US_ASCII));
                }
            }

            @Override
            public void cancel() {
            }
        });
        ContentSource source = MessageContent.of(endless).signedWith(rsa()).open();
        BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
        source.next(PooledByteBufAllocator.DEFAULT, receiver(answers));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (emitted.get() < 50 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(emitted.get()).isGreaterThanOrEqualTo(50);
        source.close();
        Thread.sleep(100);
        int after = emitted.get();
        Thread.sleep(100);
        assertThat(emitted.get()).as("the hash pass stops after close").isLessThanOrEqualTo(after + 1);
        assertThat(answers).isEmpty();
    }

    // ------------------------------------------------------------------------------------------ helpers

    static byte[] drain(ContentSource source) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (int i = 0; i < 100_000; i++) {
                Object answer = next(source);
                if (answer == END) {
                    return out.toByteArray();
                }
                if (answer instanceof Throwable) {
                    throw new AssertionError("content failed", (Throwable) answer);
                }
                ByteBuf chunk = (ByteBuf) answer;
                byte[] b = new byte[chunk.readableBytes()];
                chunk.readBytes(b);
                chunk.release();
                out.write(b);
            }
            throw new AssertionError("content did not end");
        } finally {
            source.close();
        }
    }

    private static final Object END = new Object();

    private static Object next(ContentSource source) throws InterruptedException {
        BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
        source.next(PooledByteBufAllocator.DEFAULT, receiver(answers));
        Object answer = answers.poll(30, TimeUnit.SECONDS);
        if (answer == null) {
            throw new AssertionError("no answer within 30 s");
        }
        return answer;
    }

    private static ContentReceiver receiver(BlockingQueue<Object> answers) {
        return new ContentReceiver() {
            @Override
            public void onChunk(ByteBuf chunk) {
                answers.add(chunk);
            }

            @Override
            public void onEnd() {
                answers.add(END);
            }

            @Override
            public void onError(Throwable error) {
                answers.add(error);
            }
        };
    }

    /** Emits a message in chunks of a given size on demand; a new run per subscription. */
    static final class ChunkPublisher implements Flow.Publisher<ByteBuf> {
        private final byte[] bytes;
        private final int chunk;

        ChunkPublisher(byte[] bytes, int chunk) {
            this.bytes = bytes;
            this.chunk = chunk;
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuf> s) {
            s.onSubscribe(new Flow.Subscription() {
                int position;
                boolean done;

                @Override
                public void request(long n) {
                    List<ByteBuf> out = new ArrayList<>();
                    for (long i = 0; i < n && position < bytes.length && !done; i++) {
                        int len = Math.min(chunk, bytes.length - position);
                        out.add(Unpooled.copiedBuffer(bytes, position, len));
                        position += len;
                    }
                    out.forEach(s::onNext);
                    if (position == bytes.length && !done) {
                        done = true;
                        s.onComplete();
                    }
                }

                @Override
                public void cancel() {
                    done = true;
                }
            });
        }
    }
}
