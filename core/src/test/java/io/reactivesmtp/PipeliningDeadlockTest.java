package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport.Outcome;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * RFC 2920 section 3.1: a client that pipelines must read while it writes, or a server that writes its replies
 * before reading on deadlocks it. Here both directions really fill up: a blocking server with 4 KiB socket
 * buffers reads the MAIL line and then nothing until it has written every reply, in one write far larger than the
 * buffers between it and the client; the client, with 4 KiB socket buffers too, is still stuck writing its
 * RCPTs. That write of the server completes only if the client reads while its own write is blocked.
 *
 * <p>The session is installed on a bootstrap of the test's own because {@link SmtpConnector} has no socket-buffer
 * option; the handlers are the same ({@link SmtpSession#install}).
 */
class PipeliningDeadlockTest {

    private static final int RECIPIENTS = 2000;
    /** Linux doubles it; still far below the bytes either side has to send. */
    private static final int SOCKET_BUFFER = 4096;
    private static final String BODY = "Subject: deadlock\r\n\r\n" + ".dot line\r\n" + "x".repeat(70) + "\r\n";

    @Test
    void aServerThatWritesEveryReplyBeforeReadingTheCommandsDoesNotDeadlockAPipeliningClient() throws Throwable {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        AtomicReference<Socket> accepted = new AtomicReference<>();
        try (ServerSocket listener = new ServerSocket()) {
            // Before bind: accepted sockets inherit it, and the TCP window is fixed at the handshake.
            listener.setReceiveBufferSize(SOCKET_BUFFER);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            listener.setSoTimeout((int) WAIT.toMillis());
            AtomicReference<Channel> clientChannel = new AtomicReference<>();
            CompletableFuture<Stuck> clientStuck = new CompletableFuture<>();
            CompletableFuture<Void> repliesWritten = new CompletableFuture<>();
            CompletableFuture<byte[]> server = CompletableFuture.supplyAsync(() -> serve(listener, accepted,
                    clientChannel, clientStuck, repliesWritten));

            SmtpSession session = connect(group, listener.getLocalPort(), clientChannel);
            List<String> to = new ArrayList<>();
            for (int i = 0; i < RECIPIENTS; i++) {
                to.add("r" + i + "@c.test");
            }
            CompletableFuture<SendReport> sent = session.send(Envelope.of("a@b.test", to.toArray(new String[0])),
                    MessageContent.of(BODY));

            Stuck stuck = bounded(clientStuck, "the client's RCPTs to fill the socket buffers");
            // The buffers really were full: the client held bytes it could not write, and the server's one write
            // holds more than twice what both buffers between server and client (as the kernel reports them) can
            // take without the client reading.
            assertThat(stuck.clientPendingBytes).as("bytes the client could not write").isPositive();
            assertThat(stuck.replyBytes).as("reply bytes vs. server send buffer + client receive buffer")
                    .isGreaterThan(2 * (stuck.serverSendBuffer + stuck.clientReceiveBuffer));
            bounded(repliesWritten, "the server's write of " + stuck.replyBytes + " reply bytes, which completes only"
                    + " if the client reads while its own write is blocked (otherwise: deadlock)");

            SendReport report = await(sent);
            await(session.close());
            byte[] content = bounded(server, "the server to read every command, the content and QUIT");

            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(report.recipients()).hasSize(RECIPIENTS);
            for (int i = 0; i < RECIPIENTS; i++) {
                RecipientResult r = report.recipients().get(i);
                assertThat(r.address()).isEqualTo(MailAddress.of("r" + i + "@c.test"));
                assertThat(r.status()).isEqualTo(Status.ACCEPTED);
                // Each RCPT got its own reply, in order: none lost, none paired with the wrong command.
                assertThat(r.rcptReply().orElseThrow().text()).isEqualTo("recipient " + i + " ok");
            }
            assertThat(new String(content, StandardCharsets.US_ASCII))
                    .isEqualTo(BODY.replace("\r\n.dot", "\r\n..dot") + ".\r\n");
        } finally {
            Socket s = accepted.get();
            if (s != null) {
                s.close(); // unblocks a server thread stuck in its write when the test failed
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static SmtpSession connect(EventLoopGroup group, int port, AtomicReference<Channel> channel)
            throws Throwable {
        SmtpSessionOptions options = SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build();
        SmtpSession[] session = new SmtpSession[1];
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        session[0] = SmtpSession.install(c, options, "127.0.0.1", port);
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        channel.set(ch);
        await(session[0].ready());
        assertThat(session[0].capabilities().pipelining()).isTrue();
        return session[0];
    }

    /** What the server saw when it found the client stuck. */
    private record Stuck(long clientPendingBytes, int replyBytes, int serverSendBuffer, int clientReceiveBuffer) {
    }

    /**
     * Greets, answers EHLO with PIPELINING, reads the MAIL line, waits until the client is stuck writing, writes
     * every reply in one write without reading, then reads and checks every command and the content, answers
     * the final dot and QUIT. Returns the content as received.
     */
    private static byte[] serve(ServerSocket listener, AtomicReference<Socket> accepted,
                                AtomicReference<Channel> clientChannel, CompletableFuture<Stuck> clientStuck,
                                CompletableFuture<Void> repliesWritten) {
        try (Socket s = listener.accept()) {
            accepted.set(s);
            s.setSendBufferSize(SOCKET_BUFFER);
            s.setSoTimeout((int) WAIT.toMillis());
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            out.write(ascii("220 deadlock.test ESMTP\r\n"));
            expectLine(in, "EHLO client.test");
            out.write(ascii("250-deadlock.test\r\n250 PIPELINING\r\n"));
            expectLine(in, "MAIL FROM:<a@b.test>");

            StringBuilder replies = new StringBuilder("250 2.1.0 sender ok\r\n");
            for (int i = 0; i < RECIPIENTS; i++) {
                replies.append("250 2.1.5 recipient ").append(i).append(" ok\r\n");
            }
            replies.append("354 go ahead\r\n");
            byte[] all = ascii(replies.toString());
            Channel client = clientChannel.get();
            long pending = awaitStuck(client);
            clientStuck.complete(new Stuck(pending, all.length, s.getSendBufferSize(),
                    client.config().getOption(ChannelOption.SO_RCVBUF)));
            out.write(all); // blocks until the client has read all but what the buffers hold
            out.flush();
            repliesWritten.complete(null);

            for (int i = 0; i < RECIPIENTS; i++) {
                expectLine(in, "RCPT TO:<r" + i + "@c.test>");
            }
            expectLine(in, "DATA");
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            for (String line = readLine(in); ; line = readLine(in)) {
                content.writeBytes(ascii(line + "\r\n"));
                if (line.equals(".")) {
                    break;
                }
            }
            out.write(ascii("250 2.0.0 queued\r\n"));
            expectLine(in, "QUIT");
            out.write(ascii("221 bye\r\n"));
            return content.toByteArray();
        } catch (IOException e) {
            clientStuck.completeExceptionally(e);
            repliesWritten.completeExceptionally(e);
            throw new IllegalStateException(e);
        } catch (RuntimeException | Error e) {
            clientStuck.completeExceptionally(e);
            repliesWritten.completeExceptionally(e);
            throw e;
        }
    }

    /**
     * Waits (bounded) until the client holds bytes it cannot write and makes no progress: the bytes still queued
     * in its channel are the same on two looks 100 ms apart. Looks on the client's event loop, where the outbound
     * buffer lives.
     *
     * @return the bytes the client could not write
     */
    private static long awaitStuck(Channel client) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long last = -1;
        while (System.nanoTime() < deadline) {
            long pending;
            try {
                pending = client.eventLoop().submit(() -> {
                    ChannelOutboundBuffer b = client.unsafe().outboundBuffer();
                    return b == null ? 0L : b.totalPendingWriteBytes();
                }).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException(e);
            }
            if (pending > 0 && pending == last) {
                return pending;
            }
            last = pending;
        }
        throw new AssertionError("the client never got stuck writing its commands (pending bytes: " + last + ")");
    }

    private static void expectLine(InputStream in, String expected) throws IOException {
        String line = readLine(in);
        if (!line.equals(expected)) {
            throw new AssertionError("expected \"" + expected + "\" but got \"" + line + "\"");
        }
    }

    /** Reads one CRLF-terminated line (without it); fails on a bare LF or the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b = in.read(); ; b = in.read()) {
            if (b < 0) {
                throw new AssertionError("connection closed inside a line: \"" + sb + "\"");
            }
            if (b == '\n') {
                if (sb.length() == 0 || sb.charAt(sb.length() - 1) != '\r') {
                    throw new AssertionError("bare LF after \"" + sb + "\"");
                }
                return sb.substring(0, sb.length() - 1);
            }
            sb.append((char) b);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static <T> T bounded(CompletableFuture<T> future, String what) throws Throwable {
        try {
            return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("not within " + WAIT + ": " + what, e);
        }
    }
}
