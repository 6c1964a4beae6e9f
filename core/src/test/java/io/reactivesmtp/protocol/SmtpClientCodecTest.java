package io.reactivesmtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.DefaultSmtpResponse;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.reactivesmtp.SmtpProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmtpClientCodecTest {

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    @Test
    void decodesRepliesAndEncodesRequestsOnOneChannel() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpClientCodec());
        ch.writeInbound(bytes("220 mx.example.com ESMTP\r\n"));
        assertThat((Object) ch.readInbound()).isEqualTo(new DefaultSmtpResponse(220, "mx.example.com ESMTP"));

        ch.writeOutbound(new DefaultSmtpRequest(SmtpCommand.EHLO, "client.example.org"));
        ByteBuf ehlo = ch.readOutbound();
        try {
            assertThat(ehlo.toString(StandardCharsets.UTF_8)).isEqualTo("EHLO client.example.org\r\n");
        } finally {
            ehlo.release();
        }

        ch.writeInbound(bytes("250-mx.example.com\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n"));
        assertThat((Object) ch.readInbound())
                .isEqualTo(new DefaultSmtpResponse(250, "mx.example.com", "SMTPUTF8", "PIPELINING"));

        ch.writeOutbound(new DefaultSmtpRequest(SmtpCommand.MAIL, "FROM:<ä@b>", "SMTPUTF8"));
        ByteBuf mail = ch.readOutbound();
        try {
            assertThat(mail.toString(StandardCharsets.UTF_8)).isEqualTo("MAIL FROM:<ä@b> SMTPUTF8\r\n");
        } finally {
            mail.release();
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void contentByteBufPassesThroughUncopied() {
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpClientCodec());
        ByteBuf content = bytes("..stuffed\r\n.\r\n");
        ch.writeOutbound(content);
        ByteBuf out = ch.readOutbound();
        try {
            assertThat(out).isSameAs(content);
            assertThat(out.refCnt()).isEqualTo(1);
        } finally {
            out.release();
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void protocolViolationReachesThePipelineAsDecoderExceptionWithCause() {
        List<Throwable> caught = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpClientCodec(), new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                caught.add(cause);
            }
        });
        ch.writeInbound(bytes("250-a\r\n451 b\r\n"));
        assertThat(caught).hasSize(1);
        assertThat(caught.get(0)).isInstanceOf(DecoderException.class)
                .cause().isInstanceOf(SmtpProtocolException.class).hasMessageContaining("multi-line");
        // Further input is discarded without further errors or replies.
        ch.writeInbound(bytes("250 ok\r\n"));
        assertThat(caught).hasSize(1);
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void limitsArePassedToTheDecoder() {
        EmbeddedChannel lines = new EmbeddedChannel(new SmtpClientCodec(4096, 2));
        assertThatThrownBy(() -> lines.writeInbound(bytes("250-a\r\n250-b\r\n250 c\r\n")))
                .isInstanceOf(DecoderException.class).cause().hasMessageContaining("longer than 2 lines");
        assertThat(lines.finishAndReleaseAll()).isFalse();

        EmbeddedChannel length = new EmbeddedChannel(new SmtpClientCodec(10, 512));
        length.writeInbound(bytes("250 1234\r\n")); // 10 bytes: fits
        assertThat((Object) length.readInbound()).isEqualTo(new DefaultSmtpResponse(250, "1234"));
        assertThatThrownBy(() -> length.writeInbound(bytes("250 12345\r\n"))) // 11 bytes
                .isInstanceOf(DecoderException.class).cause().hasMessageContaining("longer than 10 bytes");
        assertThat(length.finishAndReleaseAll()).isFalse();
    }

    @Test
    void bufferedBytesRevealsInputBehindAReply() {
        // What the session handler checks when the STARTTLS 220 arrives (response injection).
        SmtpClientCodec codec = new SmtpClientCodec();
        List<Integer> bufferedAtEachReply = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(codec, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                bufferedAtEachReply.add(codec.bufferedBytes());
                ctx.fireChannelRead(msg);
            }
        });
        String injected = "250-injected\r\n250 more\r\n";
        ch.writeInbound(bytes("220 2.0.0 Ready to start TLS\r\n" + injected));
        assertThat(bufferedAtEachReply).containsExactly(injected.getBytes(StandardCharsets.UTF_8).length, 0);
        assertThat((Object) ch.readInbound()).isEqualTo(new DefaultSmtpResponse(220, "2.0.0 Ready to start TLS"));
        assertThat((Object) ch.readInbound()).isEqualTo(new DefaultSmtpResponse(250, "injected", "more"));

        ch.writeInbound(bytes("220 clean\r\n"));
        assertThat(bufferedAtEachReply).containsExactly(24, 0, 0);
        assertThat((Object) ch.readInbound()).isEqualTo(new DefaultSmtpResponse(220, "clean"));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void eachCodecHasItsOwnDecoderState() {
        assertThat(new SmtpClientCodec().isSharable()).isFalse();
        EmbeddedChannel a = new EmbeddedChannel(new SmtpClientCodec());
        EmbeddedChannel b = new EmbeddedChannel(new SmtpClientCodec());
        a.writeInbound(bytes("250-from a\r\n"));
        b.writeInbound(bytes("354 from b\r\n"));
        assertThat((Object) b.readInbound()).isEqualTo(new DefaultSmtpResponse(354, "from b"));
        a.writeInbound(bytes("250 end\r\n"));
        SmtpResponse reply = a.readInbound();
        assertThat(reply).isEqualTo(new DefaultSmtpResponse(250, "from a", "end"));
        assertThat(a.finishAndReleaseAll()).isFalse();
        assertThat(b.finishAndReleaseAll()).isFalse();
    }
}
