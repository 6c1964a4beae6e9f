package io.reactivesmtp.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.netty.util.ReferenceCountUtil;
import io.reactivesmtp.Capabilities;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.protocol.SmtpReplyDecoder;
import java.nio.charset.StandardCharsets;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link SmtpReplyDecoder} (in an {@link EmbeddedChannel}, as it runs in the pipeline) plus the conversion the
 * session handler does ({@link SmtpReply#of(SmtpResponse)}), and the EHLO capability parser. Scores are
 * replies/s: the pipelined burst counts its three replies.
 */
public class ReplyDecoderBenchmark extends JmhDefaults {

    /** What smtp-sink answers to a pipelined MAIL, RCPT, DATA group: one read, three replies. */
    static final byte[] BURST = ("250 2.1.0 Ok\r\n"
            + "250 2.1.5 Ok\r\n"
            + "354 End data with <CR><LF>.<CR><LF>\r\n").getBytes(StandardCharsets.US_ASCII);

    /** A 12-line EHLO reply (Postfix-like). */
    static final byte[] EHLO = ("250-mail.example.com Hello client.example.net [192.0.2.10]\r\n"
            + "250-PIPELINING\r\n"
            + "250-SIZE 52428800\r\n"
            + "250-VRFY\r\n"
            + "250-ETRN\r\n"
            + "250-STARTTLS\r\n"
            + "250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
            + "250-AUTH=PLAIN LOGIN\r\n"
            + "250-ENHANCEDSTATUSCODES\r\n"
            + "250-8BITMIME\r\n"
            + "250-DSN\r\n"
            + "250 SMTPUTF8\r\n").getBytes(StandardCharsets.US_ASCII);

    private EmbeddedChannel channel;
    private ByteBuf burst;
    private ByteBuf ehlo;
    private SmtpReply ehloReply;

    @Setup(Level.Trial)
    public void setUp() {
        channel = new EmbeddedChannel(new SmtpReplyDecoder());
        // Direct buffers, as a socket read delivers them; each invocation feeds a retained duplicate.
        burst = Unpooled.directBuffer(BURST.length).writeBytes(BURST);
        ehlo = Unpooled.directBuffer(EHLO.length).writeBytes(EHLO);
        ehloReply = decodeOne(ehlo.retainedDuplicate());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
        burst.release();
        ehlo.release();
    }

    @Benchmark
    @OperationsPerInvocation(3)
    public void pipelinedBurst(Blackhole bh) {
        channel.writeOneInbound(burst.retainedDuplicate());
        for (int i = 0; i < 3; i++) {
            SmtpResponse r = channel.readInbound();
            bh.consume(SmtpReply.of(r));
            ReferenceCountUtil.release(r);
        }
    }

    @Benchmark
    public Capabilities ehloAndCapabilities() {
        return Capabilities.fromEhlo(decodeOne(ehlo.retainedDuplicate()));
    }

    @Benchmark
    public SmtpReply ehloDecodeOnly() {
        return decodeOne(ehlo.retainedDuplicate());
    }

    @Benchmark
    public Capabilities capabilitiesOnly() {
        return Capabilities.fromEhlo(ehloReply);
    }

    private SmtpReply decodeOne(ByteBuf in) {
        channel.writeOneInbound(in);
        SmtpResponse r = channel.readInbound();
        try {
            return SmtpReply.of(r);
        } finally {
            ReferenceCountUtil.release(r);
        }
    }
}
