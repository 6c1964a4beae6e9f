package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A server that answers 354 and then stops reading: the client's writes stop completing once the socket
 * buffers are full, and the data-block timer must fire (no deadlock, no unknown outcome: no dot was sent).
 * The scripted server always reads, so this one is a plain socket that simply stops.
 */
class DataBlockTimeoutTest {

    @Test
    void aServerThatStopsReadingDuringTheContentTimesOutTheDataBlock() throws Throwable {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             SmtpConnector connector = SmtpConnector.create()) {
            listener.setSoTimeout((int) WAIT.toMillis());
            CountDownLatch testDone = new CountDownLatch(1);
            CompletableFuture<Void> serverDone = CompletableFuture.runAsync(() -> stallAfter354(listener, testDone));
            AtomicLong produced = new AtomicLong();
            SmtpSession session = await(connector.connect("127.0.0.1", listener.getLocalPort(),
                    SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)
                            .timeout(SmtpPhase.DATA_BLOCK, Duration.ofMillis(300)).build()));
            Throwable error = catchThrowable(() -> await(session.send(Envelope.of("a@b.test", "x@c.test"),
                    MessageContent.of(endless(produced)))));
            assertThat(error).isInstanceOf(SmtpTimeoutException.class);
            assertThat(((SmtpTimeoutException) error).phase()).isEqualTo(SmtpPhase.DATA_BLOCK);
            assertThat(((SmtpException) error).isRetryable()).isTrue();
            // Backpressure: the source was asked for a bounded amount, not drained into memory.
            assertThat(produced.get()).isLessThan(256L * 1024 * 1024);
            testDone.countDown();
            serverDone.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Greets, answers EHLO, MAIL, RCPT and DATA one by one, then reads nothing until the client closes. */
    private static void stallAfter354(ServerSocket listener, CountDownLatch testDone) {
        try (Socket s = listener.accept()) {
            s.setSoTimeout((int) WAIT.toMillis());
            s.setReceiveBufferSize(16 * 1024);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            out.write("220 stall.test\r\n".getBytes(StandardCharsets.US_ASCII));
            for (String reply : Arrays.asList("250 stall.test", "250 ok", "250 ok", "354 go")) {
                String line = in.readLine();
                if (line == null) {
                    throw new AssertionError("client closed early");
                }
                out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            // Stop reading until the test has seen the client give up.
            if (!testDone.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("test did not finish in time");
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A content source that never ends: 64 KiB of text lines per request. */
    private static Flow.Publisher<ByteBuf> endless(AtomicLong produced) {
        byte[] chunk = ("y".repeat(62) + "\r\n").repeat(1024).getBytes(StandardCharsets.US_ASCII);
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                for (long i = 0; i < n; i++) {
                    produced.addAndGet(chunk.length);
                    subscriber.onNext(Unpooled.wrappedBuffer(chunk));
                }
            }

            @Override
            public void cancel() {
            }
        });
    }
}
