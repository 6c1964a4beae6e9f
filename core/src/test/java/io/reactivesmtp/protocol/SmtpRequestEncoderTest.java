package io.reactivesmtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SmtpRequestEncoderTest {

    /**
     * A request that skips the checks of {@link DefaultSmtpRequest}, as a buggy or hostile implementation
     * of the interface might: the encoder must still refuse to write it.
     */
    private static SmtpRequest unchecked(SmtpCommand command, CharSequence... params) {
        List<CharSequence> list = List.of(params);
        return new SmtpRequest() {
            @Override
            public SmtpCommand command() {
                return command;
            }

            @Override
            public List<CharSequence> parameters() {
                return list;
            }
        };
    }

    /** Encodes one request and returns the bytes written, releasing the buffer. */
    private static byte[] encode(SmtpRequest request) {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpRequestEncoder());
        // Unpooled buffers have exactly the capacity asked for, which shows the single exact allocation.
        ch.config().setAllocator(new UnpooledByteBufAllocator(false));
        assertThat(ch.writeOutbound(request)).isTrue();
        ByteBuf out = ch.readOutbound();
        try {
            // One exact allocation: the buffer is as large as the line it holds.
            assertThat(out.capacity()).isEqualTo(out.readableBytes());
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
            assertThat(ch.finishAndReleaseAll()).isFalse();
        }
    }

    private static String encodeToString(SmtpRequest request) {
        return new String(encode(request), StandardCharsets.UTF_8);
    }

    @Test
    void encodesMailFromWithParameters() {
        byte[] bytes = encode(new DefaultSmtpRequest(SmtpCommand.MAIL, "FROM:<a@b>", "SIZE=1024", "BODY=8BITMIME"));
        assertThat(bytes).isEqualTo("MAIL FROM:<a@b> SIZE=1024 BODY=8BITMIME\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void encodesCommandWithoutParameters() {
        assertThat(encodeToString(new DefaultSmtpRequest(SmtpCommand.DATA))).isEqualTo("DATA\r\n");
        assertThat(encodeToString(new DefaultSmtpRequest(SmtpCommand.QUIT))).isEqualTo("QUIT\r\n");
    }

    @Test
    void encodesCustomCommand() {
        assertThat(encodeToString(new DefaultSmtpRequest(SmtpCommand.valueOf("STARTTLS")))).isEqualTo("STARTTLS\r\n");
        assertThat(encodeToString(new DefaultSmtpRequest(SmtpCommand.valueOf("BDAT"), "1234", "LAST")))
                .isEqualTo("BDAT 1234 LAST\r\n");
    }

    @Test
    void encodesUtf8ParametersAsUtf8() {
        String param = "TO:<用户@例子.广告>";
        byte[] bytes = encode(new DefaultSmtpRequest(SmtpCommand.RCPT, param));
        byte[] expected = ("RCPT " + param + "\r\n").getBytes(StandardCharsets.UTF_8);
        assertThat(bytes).isEqualTo(expected);
        // Not the '?' an ASCII encoder would write.
        assertThat(bytes).doesNotContain((byte) '?');
        assertThat(encodeToString(new DefaultSmtpRequest(SmtpCommand.MAIL, "FROM:<jörg@exämple.de>", "SMTPUTF8")))
                .isEqualTo("MAIL FROM:<jörg@exämple.de> SMTPUTF8\r\n");
    }

    @Test
    void encodesSupplementaryCharactersAsFourBytes() {
        byte[] bytes = encode(new DefaultSmtpRequest(SmtpCommand.EHLO, "🚀"));
        assertThat(bytes).isEqualTo(new byte[] {'E', 'H', 'L', 'O', ' ', (byte) 0xF0, (byte) 0x9F, (byte) 0x9A,
            (byte) 0x80, '\r', '\n'});
    }

    @Test
    void emptyCommandWritesParametersAsABareLine() {
        // AUTH continuation lines carry no command word.
        assertThat(encodeToString(new DefaultSmtpRequest(SmtpCommand.EMPTY, "dXNlcg=="))).isEqualTo("dXNlcg==\r\n");
        assertThat(encodeToString(new DefaultSmtpRequest(SmtpCommand.EMPTY, "*"))).isEqualTo("*\r\n");
        assertThat(encodeToString(new DefaultSmtpRequest(SmtpCommand.EMPTY))).isEqualTo("\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\r", "\n", "\0", "\r\n"})
    void rejectsLineBreaksAndNulInParameters(String bad) {
        String secret = "c2VjcmV0" + bad + "RSET";
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpRequestEncoder());
        assertThatThrownBy(() -> ch.writeOutbound(unchecked(SmtpCommand.AUTH, "PLAIN", secret)))
                .isInstanceOf(EncoderException.class)
                .hasMessageContaining("AUTH")
                .hasMessageContaining("parameter 2")
                .hasMessageNotContaining("c2VjcmV0")
                .hasMessageNotContaining(bad);
        assertThat((Object) ch.readOutbound()).as("nothing may be written").isNull();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void rejectsLineBreakInContinuationLine() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpRequestEncoder());
        assertThatThrownBy(() -> ch.writeOutbound(unchecked(SmtpCommand.EMPTY, "dG9r\r\nQUIT")))
                .isInstanceOf(EncoderException.class)
                .hasMessageNotContaining("dG9r");
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"NO\0OP", "NOÖP", "NO\u001bOP"})
    void rejectsControlOrNonAsciiCharactersInCommandName(String name) {
        // (Netty's SmtpCommand.valueOf already refuses CR and LF in a name.)
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpRequestEncoder());
        assertThatThrownBy(() -> ch.writeOutbound(unchecked(SmtpCommand.valueOf(name))))
                .isInstanceOf(EncoderException.class)
                .hasMessageContaining("command name");
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void byteBufPassesThroughIdenticalAndUncopied() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpRequestEncoder());
        ByteBuf content = Unpooled.copiedBuffer("Subject: hi\r\n\r\n..leading dot\r\n.\r\n", StandardCharsets.US_ASCII);
        int readerIndex = content.readerIndex();
        int writerIndex = content.writerIndex();
        assertThat(ch.writeOutbound(content)).isTrue();
        ByteBuf out = ch.readOutbound();
        try {
            assertThat(out).isSameAs(content);
            assertThat(out.refCnt()).isEqualTo(1);
            assertThat(out.readerIndex()).isEqualTo(readerIndex);
            assertThat(out.writerIndex()).isEqualTo(writerIndex);
        } finally {
            out.release();
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void requestsAndContentKeepTheirOrder() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpRequestEncoder());
        ByteBuf content = Unpooled.copiedBuffer("body\r\n.\r\n", StandardCharsets.US_ASCII);
        ch.writeOutbound(new DefaultSmtpRequest(SmtpCommand.DATA), content, new DefaultSmtpRequest(SmtpCommand.QUIT));
        ByteBuf first = ch.readOutbound();
        ByteBuf second = ch.readOutbound();
        ByteBuf third = ch.readOutbound();
        try {
            assertThat(first.toString(StandardCharsets.US_ASCII)).isEqualTo("DATA\r\n");
            assertThat(second).isSameAs(content);
            assertThat(third.toString(StandardCharsets.US_ASCII)).isEqualTo("QUIT\r\n");
        } finally {
            first.release();
            second.release();
            third.release();
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void isSharable() {
        assertThat(new SmtpRequestEncoder().isSharable()).isTrue();
    }
}
