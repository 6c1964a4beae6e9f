package io.reactivesmtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.smtp.DefaultSmtpResponse;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.reactivesmtp.SmtpProtocolException;
import io.reactivesmtp.SmtpReply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SmtpReplyDecoderTest {

    private static final String EHLO_REPLY = "250-mail.example.com Hello client.example.org\r\n"
            + "250-PIPELINING\r\n"
            + "250-SIZE 35882577\r\n"
            + "250-8BITMIME\r\n"
            + "250-SMTPUTF8\r\n"
            + "250 CHUNKING\r\n";

    private static final String TRANSCRIPT = "220 mail.example.com ESMTP ready\r\n"
            + EHLO_REPLY
            + "250 2.1.0 Ok\r\n"
            + "550-5.1.1 no such user\r\n550 5.1.1 really\r\n"
            + "250\r\n"
            + "354 \r\n"
            + "451 4.3.0 try later\n"
            + "221-bye\n221 Grüße, 日本\r\n";

    private static List<SmtpResponse> expectedTranscript() {
        return List.of(
                reply(220, "mail.example.com ESMTP ready"),
                reply(250, "mail.example.com Hello client.example.org", "PIPELINING", "SIZE 35882577",
                        "8BITMIME", "SMTPUTF8", "CHUNKING"),
                reply(250, "2.1.0 Ok"),
                reply(550, "5.1.1 no such user", "5.1.1 really"),
                reply(250, ""),
                reply(354, ""),
                reply(451, "4.3.0 try later"),
                reply(221, "bye", "Grüße, 日本"));
    }

    private static SmtpResponse reply(int code, String... lines) {
        return new DefaultSmtpResponse(code, lines);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Feeds the bytes in chunks of the given sizes (cycled) and returns every reply emitted. */
    private static List<SmtpResponse> decode(byte[] bytes, int... chunkSizes) {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        List<SmtpResponse> out = new ArrayList<>();
        int pos = 0;
        int chunk = 0;
        while (pos < bytes.length) {
            int n = Math.min(chunkSizes[chunk++ % chunkSizes.length], bytes.length - pos);
            ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, pos, pos + n)));
            pos += n;
            drain(ch, out);
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
        return out;
    }

    private static List<SmtpResponse> drain(EmbeddedChannel ch, List<SmtpResponse> out) {
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            out.add((SmtpResponse) msg);
        }
        return out;
    }

    private static List<SmtpResponse> drain(EmbeddedChannel ch) {
        return drain(ch, new ArrayList<>());
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertViolation(EmbeddedChannel ch, String input) {
        return assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(utf8(input))))
                .isInstanceOf(DecoderException.class)
                .cause()
                .isInstanceOf(SmtpProtocolException.class);
    }

    @Test
    void decodesSingleLineReply() {
        assertThat(decode(utf8("250 2.0.0 Ok: queued as 12345\r\n"), Integer.MAX_VALUE))
                .containsExactly(reply(250, "2.0.0 Ok: queued as 12345"));
    }

    @Test
    void decodesMultiLineEhloReply() {
        List<SmtpResponse> replies = decode(utf8(EHLO_REPLY), Integer.MAX_VALUE);
        assertThat(replies).hasSize(1);
        assertThat(replies.get(0).code()).isEqualTo(250);
        assertThat(replies.get(0).details()).containsExactly("mail.example.com Hello client.example.org",
                "PIPELINING", "SIZE 35882577", "8BITMIME", "SMTPUTF8", "CHUNKING");
    }

    @Test
    void bareCodeIsAValidLastLineWithEmptyText() {
        assertThat(decode(utf8("250\r\n"), Integer.MAX_VALUE)).containsExactly(reply(250, ""));
        assertThat(decode(utf8("250-first\r\n250\r\n"), Integer.MAX_VALUE)).containsExactly(reply(250, "first", ""));
    }

    @Test
    void codeAndSpaceGivesEmptyText() {
        assertThat(decode(utf8("250 \r\n"), Integer.MAX_VALUE)).containsExactly(reply(250, ""));
    }

    @Test
    void textKeepsInnerAndTrailingSpaces() {
        assertThat(decode(utf8("250  two  spaces \r\n"), Integer.MAX_VALUE))
                .containsExactly(reply(250, " two  spaces "));
    }

    @Test
    void decodesManyRepliesInOneBuffer() {
        assertThat(decode(utf8(TRANSCRIPT), Integer.MAX_VALUE)).isEqualTo(expectedTranscript());
    }

    @Test
    void oneBytePerReadDecodesIdentically() {
        assertThat(decode(utf8(TRANSCRIPT), 1)).isEqualTo(expectedTranscript());
    }

    @Test
    void randomSplitsDecodeIdentically() {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            int[] sizes = new int[7];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = 1 + random.nextInt(40);
            }
            assertThat(decode(utf8(TRANSCRIPT), sizes)).as("chunks %s", Arrays.toString(sizes))
                    .isEqualTo(expectedTranscript());
        }
    }

    @Test
    void lfOnlyLineEndsAreTolerated() {
        assertThat(decode(utf8("250-a\n250-b\r\n250 c\n"), Integer.MAX_VALUE)).containsExactly(reply(250, "a", "b", "c"));
    }

    @Test
    void decodesUtf8TextEvenWhenACharacterIsSplitAcrossReads() {
        String text = "2.0.0 Grüße aus 東京 🚀";
        assertThat(decode(utf8("250 " + text + "\r\n"), 1)).containsExactly(reply(250, text));
        assertThat(decode(utf8("250 " + text + "\r\n"), 3, 5)).containsExactly(reply(250, text));
    }

    @Test
    void emitsEachReplyAsSoonAsItsLastLineArrives() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250-a\r\n")));
        assertThat(drain(ch)).isEmpty();
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250 b\r")));
        assertThat(drain(ch)).isEmpty();
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("\n354 go")));
        assertThat(drain(ch)).containsExactly(reply(250, "a", "b"));
        ch.writeInbound(Unpooled.wrappedBuffer(utf8(" ahead\r\n")));
        assertThat(drain(ch)).containsExactly(reply(354, "go ahead"));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void bufferedBytesCountsPartialLinesAndUnfinishedReplies() {
        SmtpReplyDecoder decoder = new SmtpReplyDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        assertThat(decoder.bufferedBytes()).isZero();
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250-a\r\n25")));
        assertThat(decoder.bufferedBytes()).isEqualTo(9);
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("0 b\r\n")));
        assertThat(drain(ch)).containsExactly(reply(250, "a", "b"));
        assertThat(decoder.bufferedBytes()).isZero();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void rejectsMixedCodesInOneReply() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        assertViolation(ch, "250-a\r\n550 b\r\n").hasMessageContaining("550").hasMessageContaining("250");
        assertThat(drain(ch)).isEmpty();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2X0 ok\r\n", "X50 ok\r\n", "25X ok\r\n", "25 ok\r\n", "25\r\n", "\r\n", "\n",
        "2500 ok\r\n", "250x\r\n", "250\tok\r\n", " 250 ok\r\n", "250\r\r\n"})
    void rejectsMalformedLines(String line) {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        assertViolation(ch, line).hasMessageContaining("SMTP protocol violation");
        assertThat(drain(ch)).isEmpty();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"199 info\r\n", "100\r\n", "000 x\r\n", "600 no\r\n", "999\r\n", "250-ok\r\n650 x\r\n"})
    void rejectsCodesOutside200To599(String input) {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        assertViolation(ch, input).hasMessageContaining("outside 200-599");
        assertThat(drain(ch)).isEmpty();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void acceptsBoundaryCodes() {
        assertThat(decode(utf8("200 a\r\n599 b\r\n"), Integer.MAX_VALUE)).containsExactly(reply(200, "a"), reply(599, "b"));
    }

    @Test
    void repliesBeforeAViolationInTheSameReadAreStillEmitted() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        assertViolation(ch, "250 ok\r\n2X0 bad\r\n250 never\r\n");
        assertThat(drain(ch)).containsExactly(reply(250, "ok"));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void inputAfterAViolationIsDiscarded() {
        SmtpReplyDecoder decoder = new SmtpReplyDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        assertViolation(ch, "2X0 bad\r\n250-still buffered");
        assertThat(decoder.isFailed()).isTrue();
        assertThat(decoder.bufferedBytes()).isZero();
        // Valid replies, garbage and partial lines: nothing comes out, nothing is thrown or kept.
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250 ok\r\n")));
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("xyz\r\n221 bye\r\n250-")));
        assertThat(drain(ch)).isEmpty();
        assertThat(decoder.bufferedBytes()).isZero();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void lineOfExactlyTheLimitIsAcceptedOneByteMoreIsNot() {
        int limit = 64;
        String fits = "250 " + "a".repeat(limit - 6) + "\r\n";
        assertThat(fits).hasSize(limit);
        EmbeddedChannel ok = new EmbeddedChannel(new SmtpReplyDecoder(limit, 10));
        ok.writeInbound(Unpooled.wrappedBuffer(utf8(fits)));
        assertThat(drain(ok)).containsExactly(reply(250, "a".repeat(limit - 6)));
        assertThat(ok.finishAndReleaseAll()).isFalse();

        EmbeddedChannel tooLong = new EmbeddedChannel(new SmtpReplyDecoder(limit, 10));
        assertViolation(tooLong, "250 " + "a".repeat(limit - 5) + "\r\n").hasMessageContaining("longer than 64 bytes");
        assertThat(drain(tooLong)).isEmpty();
        assertThat(tooLong.finishAndReleaseAll()).isFalse();
    }

    @Test
    void overLongLineWithoutNewlineFailsOnceTheLimitIsBufferedAndMemoryStaysBounded() {
        int limit = 100;
        SmtpReplyDecoder decoder = new SmtpReplyDecoder(limit, 10);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        byte[] chunk = utf8("250 aaaaaa"); // 10 bytes, never a line end
        for (int i = 0; i < 9; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(chunk));
            assertThat(decoder.bufferedBytes()).isEqualTo((i + 1) * 10).isLessThan(limit);
        }
        // The 10th chunk brings the buffer to the limit with no line end: fail now, not later.
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(chunk)))
                .isInstanceOf(DecoderException.class)
                .cause()
                .isInstanceOf(SmtpProtocolException.class)
                .hasMessageContaining("longer than 100 bytes");
        assertThat(decoder.bufferedBytes()).isZero();
        // A server that keeps sending endless bytes costs nothing more.
        for (int i = 0; i < 1000; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[1024]));
            assertThat(decoder.bufferedBytes()).isZero();
        }
        assertThat(drain(ch)).isEmpty();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void overLongLineFedOneByteAtATimeNeverBuffersMoreThanTheLimit() {
        int limit = 50;
        SmtpReplyDecoder decoder = new SmtpReplyDecoder(limit, 10);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        int written = 0;
        DecoderException failure = null;
        while (failure == null && written < 10 * limit) {
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) (written < 3 ? '2' : 'x')}));
            } catch (DecoderException e) {
                failure = e;
            }
            written++;
            assertThat(decoder.bufferedBytes()).isLessThan(limit);
        }
        assertThat(failure).isNotNull();
        assertThat(failure.getCause()).isInstanceOf(SmtpProtocolException.class);
        assertThat(written).isEqualTo(limit);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void replyOfExactlyMaxLinesIsAccepted() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder(4096, 3));
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250-a\r\n250-b\r\n250 c\r\n")));
        assertThat(drain(ch)).containsExactly(reply(250, "a", "b", "c"));
        // The line count starts again for the next reply.
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250-d\r\n250-e\r\n250 f\r\n")));
        assertThat(drain(ch)).containsExactly(reply(250, "d", "e", "f"));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void endlessContinuationLinesFailAfterMaxLines() {
        int maxLines = 20;
        SmtpReplyDecoder decoder = new SmtpReplyDecoder(4096, maxLines);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        int lines = 0;
        DecoderException failure = null;
        while (failure == null && lines < 10 * maxLines) {
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(utf8("250-more\r\n")));
            } catch (DecoderException e) {
                failure = e;
            }
            lines++;
        }
        assertThat(failure).isNotNull();
        assertThat(failure.getCause()).isInstanceOf(SmtpProtocolException.class)
                .hasMessageContaining("longer than 20 lines");
        assertThat(lines).isEqualTo(maxLines + 1);
        assertThat(decoder.bufferedBytes()).isZero();
        assertThat(drain(ch)).isEmpty();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void errorMessageEscapesControlCharactersAndIsTruncated() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        String hostile = "2X0 \u001b[31mred\u0000\\ é" + "z".repeat(500) + "\r\n";
        Throwable cause = catchCause(ch, hostile);
        String message = cause.getMessage();
        assertThat(message).contains("2X0 \\x1B[31mred\\x00\\x5C \\xC3\\xA9zzz");
        assertThat(message.chars()).allMatch(c -> c >= 0x20 && c < 0x7F);
        assertThat(message).endsWith("...\"").hasSizeLessThan(200);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void errorMessageOfAnOverLongLineShowsItsStartOnly() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder(1000, 10));
        Throwable cause = catchCause(ch, "250 " + "\r".repeat(2000));
        assertThat(cause.getMessage()).contains("250 \\x0D\\x0D").hasSizeLessThan(200)
                .doesNotContain("\r");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private static Throwable catchCause(EmbeddedChannel ch, String input) {
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(utf8(input)));
        } catch (DecoderException e) {
            assertThat(e.getCause()).isInstanceOf(SmtpProtocolException.class);
            return e.getCause();
        }
        throw new AssertionError("no protocol violation for " + input);
    }

    @Test
    void partialReplyAtCloseEmitsNothing() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250-a\r\n250 b")));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void rejectsLimitsTooSmall() {
        assertThatThrownBy(() -> new SmtpReplyDecoder(4, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SmtpReplyDecoder(512, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultsAreDocumentedValues() {
        assertThat(SmtpReplyDecoder.DEFAULT_MAX_LINE_LENGTH).isEqualTo(4096);
        assertThat(SmtpReplyDecoder.DEFAULT_MAX_LINES).isEqualTo(512);
        // The no-arg decoder accepts a 4096-byte line and rejects a 4097-byte one.
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250 " + "a".repeat(4090) + "\r\n")));
        assertThat(drain(ch)).hasSize(1);
        assertViolation(ch, "250 " + "a".repeat(4091) + "\r\n");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    // ---------------------------------------------------------------- repeated one-line replies (RecentReplies)

    /** Decodes each string in its own read, on one decoder, and returns the replies. */
    private static List<SmtpReply> decodeEach(String... inputs) {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        List<SmtpReply> out = new ArrayList<>();
        for (String input : inputs) {
            ch.writeInbound(Unpooled.wrappedBuffer(utf8(input)));
            for (SmtpResponse r : drain(ch)) {
                out.add(((DecodedReply) r).reply());
            }
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
        return out;
    }

    @Test
    void aRepeatedOneLineReplyIsEmittedAsTheSameInstance() {
        List<SmtpReply> replies = decodeEach("250 2.1.5 Ok\r\n", "250 2.1.5 Ok\r\n250 2.1.5 Ok\n");
        assertThat(replies).containsExactly(SmtpReply.of(250, "2.1.5 Ok"), SmtpReply.of(250, "2.1.5 Ok"),
                SmtpReply.of(250, "2.1.5 Ok"));
        assertThat(replies.get(1)).isSameAs(replies.get(0));
        assertThat(replies.get(2)).isSameAs(replies.get(0));
    }

    @Test
    void theRepliesASessionHearsOnceAreNotKept() {
        // 220 (greeting, STARTTLS's go-ahead) and 221 (goodbye): decoded each time, and they take no slot.
        List<SmtpReply> replies = decodeEach("220 mx.example.com ESMTP\r\n", "220 mx.example.com ESMTP\r\n",
                "221 2.0.0 Bye\r\n", "221 2.0.0 Bye\r\n");
        assertThat(replies).containsExactly(SmtpReply.of(220, "mx.example.com ESMTP"),
                SmtpReply.of(220, "mx.example.com ESMTP"), SmtpReply.of(221, "2.0.0 Bye"), SmtpReply.of(221, "2.0.0 Bye"));
        assertThat(replies.get(1)).isNotSameAs(replies.get(0));
        assertThat(replies.get(3)).isNotSameAs(replies.get(2));
        RecentReplies recent = new RecentReplies();
        recent.add(new DecodedReply(SmtpReply.of(220, "mx.example.com ESMTP")));
        recent.add(new DecodedReply(SmtpReply.of(221, "Bye")));
        ByteBuf greeting = Unpooled.wrappedBuffer(utf8("mx.example.com ESMTP"));
        ByteBuf ok = Unpooled.wrappedBuffer(utf8("2.1.0 Ok"));
        try {
            assertThat(recent.find(220, greeting, 0, 20)).isNull();
            assertThat(recent).extracting("replies").isNull(); // an idle session holds no slots
            recent.add(new DecodedReply(SmtpReply.of(250, "2.1.0 Ok")));
            assertThat(recent.find(250, ok, 0, 8)).isNotNull();
        } finally {
            greeting.release();
            ok.release();
        }
    }

    @Test
    void aReplyOfTheSameLengthButAnotherTextOrCodeIsNotTakenForACachedOne() {
        List<SmtpReply> replies = decodeEach("250 2.1.5 Ok\r\n", "250 2.1.5 OK\r\n", "550 2.1.5 Ok\r\n",
                "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n");
        assertThat(replies).containsExactly(SmtpReply.of(250, "2.1.5 Ok"), SmtpReply.of(250, "2.1.5 OK"),
                SmtpReply.of(550, "2.1.5 Ok"), SmtpReply.of(250, "2.1.0 Ok"), SmtpReply.of(250, "2.1.5 Ok"));
        assertThat(replies.get(4)).isSameAs(replies.get(0));
    }

    @Test
    void aLongerOrShorterTextWithTheCachedOneAsPrefixIsItsOwnReply() {
        assertThat(decodeEach("250 Ok\r\n", "250 Ok go\r\n", "250 O\r\n", "250\r\n", "250 \r\n", "250 Ok\r\n"))
                .containsExactly(SmtpReply.of(250, "Ok"), SmtpReply.of(250, "Ok go"), SmtpReply.of(250, "O"),
                        SmtpReply.of(250, ""), SmtpReply.of(250, ""), SmtpReply.of(250, "Ok"));
    }

    @Test
    void nonAsciiTextIsDecodedEveryTimeAndNeverMatchesACachedAsciiText() {
        // "é" is two bytes in UTF-8, as long as the cached "ab"; Latin-1 bytes are invalid UTF-8 and decode to U+FFFD.
        byte[] latin1 = "250 \u00e9\u00e9\r\n".getBytes(StandardCharsets.ISO_8859_1);
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpReplyDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(utf8("250 ab\r\n250 \u00e9\r\n250 \u00e9\r\n")));
        ch.writeInbound(Unpooled.wrappedBuffer(latin1));
        List<SmtpReply> replies = new ArrayList<>();
        for (SmtpResponse r : drain(ch)) {
            replies.add(((DecodedReply) r).reply());
        }
        assertThat(replies).containsExactly(SmtpReply.of(250, "ab"), SmtpReply.of(250, "\u00e9"),
                SmtpReply.of(250, "\u00e9"), SmtpReply.of(250, "\ufffd\ufffd"));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void theLastLineOfAMultiLineReplyIsNotTakenForACachedOneLineReply() {
        assertThat(decodeEach("250 CHUNKING\r\n", "250-PIPELINING\r\n250 CHUNKING\r\n", "250 CHUNKING\r\n"))
                .containsExactly(SmtpReply.of(250, "CHUNKING"), SmtpReply.of(250, "PIPELINING", "CHUNKING"),
                        SmtpReply.of(250, "CHUNKING"));
    }

    @Test
    void aReplyThatNeverRepeatsTakesOneSlotAndTheUsedOnesStay() {
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            inputs.add("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n250 queued as " + i + "\r\n");
        }
        List<SmtpReply> replies = decodeEach(inputs.toArray(new String[0]));
        assertThat(replies).hasSize(80);
        for (int i = 0; i < 20; i++) {
            assertThat(replies.subList(4 * i, 4 * i + 4)).containsExactly(SmtpReply.of(250, "2.1.0 Ok"),
                    SmtpReply.of(250, "2.1.5 Ok"), SmtpReply.of(354, "go"), SmtpReply.of(250, "queued as " + i));
            for (int j = 0; j < 3; j++) {
                assertThat(replies.get(4 * i + j)).isSameAs(replies.get(j));
            }
        }
        // Five distinct replies in turn through four slots: each is still decoded right.
        String[] five = {"250 a\r\n", "250 b\r\n", "250 c\r\n", "250 d\r\n", "250 e\r\n"};
        List<String> cycled = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            cycled.addAll(List.of(five));
        }
        List<SmtpReply> decoded = decodeEach(cycled.toArray(new String[0]));
        for (int i = 0; i < decoded.size(); i++) {
            assertThat(decoded.get(i)).isEqualTo(SmtpReply.of(250, String.valueOf((char) ('a' + i % 5))));
        }
    }
}
