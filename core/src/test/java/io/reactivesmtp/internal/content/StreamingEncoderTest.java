package io.reactivesmtp.internal.content;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.internal.content.ConcatSource.Segment;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.testing.Properties;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.james.mime4j.codec.Base64InputStream;
import org.apache.james.mime4j.codec.QuotedPrintableInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming encoders, whatever the chunking, decode back with mime4j's decoders; the concatenation's edges. */
class StreamingEncoderTest {

    @TempDir
    Path dir;

    @Test
    void base64OfAnyBytesInAnyChunksDecodesBackWithLinesOf76() {
        Properties.forAll(200, random -> {
            byte[] input = Properties.smtpContent(random, 2_000);
            byte[] encoded = encode(Base64Encoder::new, input, random);
            String text = new String(encoded, StandardCharsets.US_ASCII);
            assertThat(text).doesNotEndWith("\r\n");
            for (String line : text.split("\r\n")) {
                assertThat(line.length()).isLessThanOrEqualTo(76);
            }
            assertThat(decode(new Base64InputStream(new ByteArrayInputStream(encoded)))).isEqualTo(input);
        });
    }

    @Test
    void quotedPrintableOfAnyTextDecodesToItsLfAsCrlfForm() {
        Properties.forAll(300, random -> {
            byte[] input = Properties.smtpContent(random, 2_000);
            byte[] encoded = encode(QuotedPrintableEncoder::new, input, random);
            String text = new String(encoded, StandardCharsets.ISO_8859_1);
            assertThat(text.chars().allMatch(c -> c < 128)).isTrue();
            for (String line : text.split("\r\n", -1)) {
                assertThat(line.length()).as(line).isLessThanOrEqualTo(76);
                assertThat(line).doesNotContain("\r").doesNotContain("\n").doesNotEndWith(" ").doesNotEndWith("\t");
            }
            byte[] lfAsCrlf = new String(input, StandardCharsets.ISO_8859_1).replaceAll("(?<!\r)\n", "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            assertThat(decode(new QuotedPrintableInputStream(new ByteArrayInputStream(encoded), true)))
                    .isEqualTo(lfAsCrlf);
        });
    }

    @Test
    void concatenationPullsEachPartInTurnAndReportsAPartsFailure() throws Exception {
        byte[] big = Properties.smtpContent(new SplittableRandom(7), 300_000);
        List<Segment> segments = List.of(Segment.literal("head\r\n".getBytes(StandardCharsets.US_ASCII)),
                Segment.encoded(() -> new ArraySource(big), ChunkEncoder::identity),
                Segment.encoded(() -> new ArraySource(new byte[0]), Base64Encoder::new),
                Segment.literal("tail".getBytes(StandardCharsets.US_ASCII)));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes("head\r\n".getBytes(StandardCharsets.US_ASCII));
        expected.writeBytes(big);
        expected.writeBytes("tail".getBytes(StandardCharsets.US_ASCII));
        assertThat(drain(new ConcatSource(segments))).isEqualTo(expected.toByteArray());

        Path missing = dir.resolve("missing.bin");
        ConcatSource failing = new ConcatSource(List.of(Segment.literal(new byte[] {'a'}),
                Segment.encoded(() -> new FileSource(missing, ContentThreads.fileOpens()), Base64Encoder::new)));
        assertThat(next(failing)).isInstanceOf(ByteBuf.class).satisfies(b -> ((ByteBuf) b).release());
        assertThat(next(failing)).isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(((Throwable) e).getMessage()).contains(missing.toString()));
        assertThat(next(failing)).as("after a failure").isInstanceOf(IllegalStateException.class);
        failing.close();

        ConcatSource closed = new ConcatSource(segments);
        ((ByteBuf) next(closed)).release();
        closed.close();
        assertThat(next(closed)).isInstanceOf(IllegalStateException.class);
    }

    private static byte[] encode(Supplier<ChunkEncoder> encoders, byte[] input, SplittableRandom random) {
        ChunkEncoder encoder = encoders.get();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int position = 0;
        while (position < input.length) {
            int length = Math.min(input.length - position, 1 + random.nextInt(200));
            ByteBuf in = Unpooled.wrappedBuffer(input, position, length);
            position += length;
            append(out, encoder.encode(in, PooledByteBufAllocator.DEFAULT));
            in.release();
        }
        append(out, encoder.finish(PooledByteBufAllocator.DEFAULT));
        return out.toByteArray();
    }

    private static void append(ByteArrayOutputStream out, ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        buf.release();
        out.writeBytes(b);
    }

    private static byte[] decode(java.io.InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] drain(ConcatSource source) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Object> seen = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Object answer = next(source);
            if (answer instanceof ByteBuf chunk) {
                append(out, chunk);
            } else {
                seen.add(answer);
                break;
            }
        }
        source.close();
        assertThat(seen).containsExactly("end");
        return out.toByteArray();
    }

    private static Object next(ConcatSource source) throws InterruptedException {
        BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
        source.next(PooledByteBufAllocator.DEFAULT, new ContentReceiver() {
            @Override
            public void onChunk(ByteBuf chunk) {
                answers.add(chunk);
            }

            @Override
            public void onEnd() {
                answers.add("end");
            }

            @Override
            public void onError(Throwable error) {
                answers.add(error);
            }
        });
        Object answer = answers.poll(30, TimeUnit.SECONDS);
        assertThat(answer).as("an answer within 30 s").isNotNull();
        return answer;
    }
}
