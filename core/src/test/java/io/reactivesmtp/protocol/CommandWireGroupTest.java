package io.reactivesmtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pipelined group of commands leaves as one buffer, or, when one of them may not go on the wire, not at all. */
class CommandWireGroupTest {

    private static final class Wired extends ChannelInboundHandlerAdapter {
        CommandWire wire;
        final List<Object> failures = new ArrayList<>();

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            wire = new CommandWire(ctx, SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build(),
                    (phase, timeout) -> { }, failures::add);
        }
    }

    /** The codec and the wire under the session's names, as a session's pipeline has them. */
    private static EmbeddedChannel wired(Wired w) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(HandlerNames.CODEC, new SmtpClientCodec()).addLast(HandlerNames.SESSION, w);
        return channel;
    }

    private static PendingCommand pending(String name) {
        return new PendingCommand(name, SmtpPhase.RCPT, reply -> { });
    }

    @Test
    void aGroupIsOneBufferWithEveryCommandQueued() {
        Wired w = new Wired();
        EmbeddedChannel channel = wired(w);
        w.wire.beginGroup();
        w.wire.write(Command.of(SmtpCommand.MAIL, "FROM:<a@b.test>", List.of("BODY=8BITMIME")), pending("MAIL"));
        w.wire.write(Command.of(SmtpCommand.RCPT, "TO:<x@c.test>", List.of()), pending("RCPT"));
        w.wire.endGroup();
        w.wire.flush();
        ByteBuf out = channel.readOutbound();
        try {
            assertThat(out.toString(StandardCharsets.UTF_8))
                    .isEqualTo("MAIL FROM:<a@b.test> BODY=8BITMIME\r\nRCPT TO:<x@c.test>\r\n");
            assertThat(out.writableBytes()).as("sized exactly").isZero();
        } finally {
            out.release();
        }
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(w.wire.answer().name).isEqualTo("MAIL");
        assertThat(w.wire.answer().name).isEqualTo("RCPT");
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aCommandTheEncoderRefusesFailsTheGroupAndNothingOfItIsWritten() {
        Wired w = new Wired();
        EmbeddedChannel channel = wired(w);
        w.wire.beginGroup();
        w.wire.write(Command.of(SmtpCommand.MAIL, "FROM:<a@b.test>", List.of()), pending("MAIL"));
        w.wire.write(Command.of(SmtpCommand.RCPT, "TO:<x@c.test>\r\nDATA", List.of()), pending("RCPT"));
        w.wire.endGroup();
        w.wire.flush();
        assertThat((Object) channel.readOutbound()).as("nothing of the group").isNull();
        // As for a single command: the encoder's refusal reaches the pipeline's exceptionCaught.
        assertThatThrownBy(channel::checkException).isInstanceOf(EncoderException.class)
                .hasMessageContaining("RCPT").hasMessageNotContaining("x@c.test");
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }
}
