package io.reactivesmtp.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One whole pipelined transaction (MAIL, RCPT x rcpts, DATA in one write; 354; content and terminator; 250)
 * through the real pipeline of a session ({@link SmtpSession#install}: SmtpClientCodec + SmtpSessionHandler) on
 * an {@link EmbeddedChannel}, the server's replies canned as smtp-sink sends them. Measures the client's own
 * CPU per transaction, no socket: transactions/s, and with {@code -prof gc} bytes allocated per transaction
 * ({@code gc.alloc.rate.norm}). Every outbound buffer is drained and released each invocation.
 */
public class TransactionBenchmark extends JmhDefaults {

    static final String EHLO = "250-smtp-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n"
            + "250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250 \r\n";

    @Param({"1", "10"})
    public int rcpts;

    @Param({"1000"})
    public int bodySize;

    private EmbeddedChannel channel;
    private SmtpSession session;
    private Envelope envelope;
    private MessageContent content;
    private byte[] groupReplies;
    private byte[] dataReply;

    @Setup(Level.Trial)
    public void setUp() {
        channel = new EmbeddedChannel();
        SmtpSessionOptions options = SmtpSessionOptions.builder().tls(TlsPolicy.NONE).heloName("bench.example.com").build();
        session = SmtpSession.install(channel, options, "127.0.0.1", 25);
        inbound("220 smtp-sink ESMTP\r\n");
        inbound(EHLO);
        drainOutbound(null);
        if (!session.ready().isDone() || session.ready().isCompletedExceptionally()) {
            throw new IllegalStateException("session not ready: " + session.ready());
        }
        String[] to = Messages.recipients(rcpts);
        envelope = Envelope.of(Messages.FROM, to);
        content = MessageContent.of(Messages.message(0, Messages.FROM, to, bodySize, System.currentTimeMillis()));
        StringBuilder sb = new StringBuilder("250 2.1.0 Ok\r\n");
        for (int i = 0; i < rcpts; i++) {
            sb.append("250 2.1.5 Ok\r\n");
        }
        sb.append("354 End data with <CR><LF>.<CR><LF>\r\n");
        groupReplies = sb.toString().getBytes(StandardCharsets.US_ASCII);
        dataReply = "250 2.0.0 Ok: queued as 4XyZ\r\n".getBytes(StandardCharsets.US_ASCII);
        // One transaction to check the wiring before measuring.
        SendReport report = transaction(null);
        if (report.recipients().size() != rcpts) {
            throw new IllegalStateException("unexpected report " + report);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Benchmark
    public SendReport transaction(Blackhole bh) {
        CompletableFuture<SendReport> result = session.send(envelope, content);
        drainOutbound(bh);                       // MAIL, RCPT..., DATA
        // 250, 250..., 354 in one read; writeInbound also runs the queued tasks (content pull, end of data).
        channel.writeInbound(Unpooled.wrappedBuffer(groupReplies));
        drainOutbound(bh);                       // content + terminator
        channel.writeInbound(Unpooled.wrappedBuffer(dataReply));
        drainOutbound(bh);
        SendReport report = result.getNow(null);
        if (report == null) {
            throw new IllegalStateException("transaction did not complete: " + result);
        }
        return report;
    }

    private void inbound(String s) {
        channel.writeInbound(Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII)));
        channel.runPendingTasks();
    }

    private void drainOutbound(Blackhole bh) {
        Object o;
        while ((o = channel.readOutbound()) != null) {
            if (bh != null && o instanceof ByteBuf) {
                bh.consume(((ByteBuf) o).readableBytes());
            }
            ReferenceCountUtil.release(o);
        }
    }
}
