package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.util.ReferenceCountUtil;
import io.reactivesmtp.protocol.HandlerNames;
import io.reactivesmtp.SendReport.Outcome;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * How many flushes (socket writes) the content of one message costs, and that the bytes are exactly the DATA
 * encoding of the content: a session on an {@link EmbeddedChannel} behind a handler that counts flushes. A message
 * already in memory is cut into 128 KiB chunks, the last one leaving with the terminator, so a 100 KB message is one
 * write after the 354 and a 300 KB one is three.
 */
class ContentWritesTest {

    private static final String REPLIES = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n";

    /** Counts the flushes that reach the head of the pipeline, i.e. the socket writes. */
    private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        int flushes;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes++;
            ctx.flush();
        }
    }

    /** Lines of 76 letters, every other one beginning with a dot (stuffed on the wire), so chunk boundaries fall mid-line. */
    private static byte[] body(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            int col = i % 78;
            b[i] = col == 76 ? (byte) '\r' : col == 77 ? (byte) '\n'
                    : col == 0 && (i / 78) % 2 == 0 ? (byte) '.' : (byte) ('a' + i % 26);
        }
        return b;
    }

    /** The DATA wire form of {@code content}: a doubled dot at each line start, then the terminator. */
    private static byte[] stuffed(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + content.length / 70 + 5);
        boolean lineStart = true;
        for (byte b : content) {
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = b == '\n';
        }
        byte[] tail = (lineStart ? ".\r\n" : "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII);
        out.write(tail, 0, tail.length);
        return out.toByteArray();
    }

    /** Sends {@code content} with PIPELINING and returns the flushes after the 354, checking the bytes on the way. */
    private static int flushesForContent(byte[] content) {
        EmbeddedChannel channel = new EmbeddedChannel();
        FlushCounter counter = new FlushCounter();
        channel.pipeline().addFirst(counter);
        try {
            SmtpSession session = pipelinedSession(channel);
            assertThat(session.ready()).isCompleted();

            CompletableFuture<SendReport> sent = session.send(Envelope.of("a@b.test", "x@c.test"),
                    MessageContent.of(content));
            assertThat(new String(drain(channel), StandardCharsets.US_ASCII))
                    .isEqualTo("MAIL FROM:<a@b.test>\r\nRCPT TO:<x@c.test>\r\nDATA\r\n");
            int before = counter.flushes;
            inbound(channel, REPLIES); // also runs the tasks that pull the content
            int flushes = counter.flushes - before;
            assertThat(drain(channel)).isEqualTo(stuffed(content));

            inbound(channel, "250 2.0.0 queued\r\n");
            assertThat(sent).isCompleted();
            assertThat(sent.join().outcome()).isEqualTo(Outcome.DELIVERED);
            return flushes;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** A session on {@code channel} past its EHLO (PIPELINING, 8BITMIME), what it wrote so far drained. */
    private static SmtpSession pipelinedSession(EmbeddedChannel channel) {
        SmtpSession session = SmtpSession.install(channel,
                SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build(), "mx.test", 25);
        inbound(channel, "220 mx.test ESMTP\r\n");
        inbound(channel, "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
        drain(channel);
        return session;
    }

    private static void inbound(EmbeddedChannel channel, String s) {
        channel.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
        channel.runPendingTasks();
    }

    /** Everything written so far, concatenated; every buffer released. */
    private static byte[] drain(EmbeddedChannel channel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            try {
                ByteBuf buf = (ByteBuf) o;
                byte[] bytes = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), bytes);
                out.write(bytes, 0, bytes.length);
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        return out.toByteArray();
    }

    @Test
    void aMessageOfUpTo128KiBLeavesInOneWriteWithItsTerminator() {
        assertThat(flushesForContent(body(100_000))).isEqualTo(1);
        assertThat(flushesForContent(body(128 * 1024))).isEqualTo(1);
    }

    @Test
    void aLargerMessageLeavesIn128KiBChunksTheLastWithTheTerminator() {
        // The chunks end mid-line, and half the lines need a dot doubled: the encoding still holds across them.
        assertThat(flushesForContent(body(300_000))).isEqualTo(3);
        assertThat(flushesForContent(body(128 * 1024 + 1))).isEqualTo(2);
    }

    /** Fails the write of the first outbound buffer {@code which} picks, as a broken connection would. */
    private static final class FailingWrite extends ChannelOutboundHandlerAdapter {
        private final java.util.function.Predicate<String> which;
        boolean failed;

        FailingWrite(java.util.function.Predicate<String> which) {
            this.which = which;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
            if (!failed && msg instanceof ByteBuf && which.test(((ByteBuf) msg).toString(StandardCharsets.ISO_8859_1))) {
                failed = true;
                ReferenceCountUtil.release(msg);
                promise.setFailure(new java.io.IOException("broken pipe"));
                return;
            }
            ctx.write(msg, promise);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"last content", "terminator"})
    void aFailedWriteOfTheLastContentOrOfTheTerminatorIsAnUnknownOutcome(String which) {
        byte[] content = "Subject: s\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        FailingWrite failing = new FailingWrite("last content".equals(which) ? s -> s.startsWith("Subject:") : ".\r\n"::equals);
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addFirst(failing);
        try {
            SmtpSession session = pipelinedSession(channel);
            CompletableFuture<SendReport> sent = session.send(Envelope.of("a@b.test", "x@c.test"), MessageContent.of(content));
            drain(channel);
            inbound(channel, REPLIES);
            drain(channel);

            assertThat(failing.failed).isTrue();
            assertThat(sent).isCompletedExceptionally();
            Throwable error = sent.handle((r, e) -> e).join();
            assertThat(error).isInstanceOf(SmtpUnknownOutcomeException.class).hasMessageContaining("broken pipe");
            SendReport partial = ((SmtpException) error).partialReport().orElseThrow();
            assertThat(partial.recipients().get(0).status()).isEqualTo(RecipientResult.Status.UNKNOWN_AFTER_DATA);
            assertThat(channel.isOpen()).isFalse();
            assertThat(session.isReusable()).isFalse();
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void thePipelinedCommandsOfAMessageLeaveAsOneBufferInOneFlush() {
        EmbeddedChannel channel = new EmbeddedChannel();
        FlushCounter counter = new FlushCounter();
        channel.pipeline().addFirst(counter);
        try {
            SmtpSession session = pipelinedSession(channel);
            int before = counter.flushes;
            CompletableFuture<SendReport> sent = session.send(Envelope.of("a@b.test", "x@c.test", "y@c.test", "z@c.test"),
                    MessageContent.of("Subject: s\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuf group = channel.readOutbound();
            try {
                assertThat(group.toString(StandardCharsets.US_ASCII)).isEqualTo("MAIL FROM:<a@b.test>\r\n"
                        + "RCPT TO:<x@c.test>\r\nRCPT TO:<y@c.test>\r\nRCPT TO:<z@c.test>\r\nDATA\r\n");
            } finally {
                group.release();
            }
            assertThat((Object) channel.readOutbound()).as("nothing but the one buffer").isNull();
            assertThat(counter.flushes - before).isEqualTo(1);
            // The replies still pair with their commands, one by one.
            inbound(channel, "250 ok\r\n250 ok\r\n550 5.1.1 no\r\n250 ok\r\n354 go\r\n");
            drain(channel);
            inbound(channel, "250 2.0.0 queued\r\n");
            assertThat(sent.join().outcome()).isEqualTo(Outcome.PARTIAL);
            assertThat(sent.join().recipients().get(1).code()).isEqualTo(550);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** What SmtpConnector promises a handler between the codec and the session: every command, as a request. */
    @Test
    void aHandlerBetweenTheCodecAndTheSessionSeesEachPipelinedCommandAsARequest() {
        EmbeddedChannel channel = new EmbeddedChannel();
        List<String> seen = new ArrayList<>();
        try {
            SmtpSession session = pipelinedSession(channel);
            channel.pipeline().addBefore(HandlerNames.SESSION, "tap", new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                    seen.add(msg instanceof SmtpRequest r ? r.command().name().toString() : "bytes");
                    ctx.write(msg, promise);
                }
            });
            CompletableFuture<SendReport> sent = session.send(Envelope.of("a@b.test", "x@c.test", "y@c.test"),
                    MessageContent.of("Subject: s\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(new String(drain(channel), StandardCharsets.US_ASCII))
                    .isEqualTo("MAIL FROM:<a@b.test>\r\nRCPT TO:<x@c.test>\r\nRCPT TO:<y@c.test>\r\nDATA\r\n");
            assertThat(seen).containsExactly("MAIL", "RCPT", "RCPT", "DATA");
            inbound(channel, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
            drain(channel);
            inbound(channel, "250 2.0.0 queued\r\n");
            assertThat(sent.join().outcome()).isEqualTo(Outcome.DELIVERED);
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
