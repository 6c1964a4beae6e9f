package io.reactivesmtp.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;


/**
 * A small SMTP server for tests that plays a {@link Script} line by line against every accepted
 * connection. It listens on {@code 127.0.0.1} on an ephemeral port.
 *
 * <p>Every connection runs the script from its first step, so tests with several sequential
 * connections work; {@link #connectionCount()} tells how many were accepted. The interpreter of a
 * connection runs on that channel's event loop and never blocks it: delays and slow writes are
 * scheduled tasks.
 *
 * <p>Input from the client is buffered and consumed only by expectation steps, in order, so a
 * client that pipelines several commands in one write is matched step by step. Input that does not
 * match the current expectation, input that arrives after the script ended, input during
 * {@link Script#expectNothing(Duration)} or {@link Script#expectClose(Duration)}, a line not ended
 * by CRLF and a line longer than {@link #MAX_LINE_LENGTH} are failures: they are recorded, answered
 * with {@code 500 5.5.1 unexpected}, the script of that connection stops, and
 * {@link #awaitScriptDone(Duration)} throws an {@link AssertionError} with the rec.transcript. A
 * connection that the client closes before its script ended is also a failure (unless the current
 * step is {@link Script#expectClose(Duration)} or the script reached {@link Script#ignoreRest()}).
 *
 * <pre>{@code
 * try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
 *         .send("220 mx.test ESMTP")
 *         .expect("EHLO client.test").send("250-mx.test", "250 PIPELINING")
 *         .expect("MAIL FROM:<a@b.test>").send("250 2.1.0 ok")
 *         .expectMatching("RCPT TO:<.*>").send("250 ok")
 *         .expect("DATA").send("354 go")
 *         .expectData().send("250 2.0.0 queued")
 *         .expect("QUIT").send("221 bye")
 *         .close())) {
 *     // connect a client to server.port() ...
 *     server.awaitScriptDone(Duration.ofSeconds(5));
 *     byte[] wire = server.dataReceived(0);
 * }
 * }</pre>
 */
public final class ScriptedSmtpServer implements AutoCloseable {

    /** The longest command line (without CRLF) the server accepts before it records a failure. */
    public static final int MAX_LINE_LENGTH = 8192;

    /** The reply written for every unexpected line. */
    public static final String UNEXPECTED_REPLY = "500 5.5.1 unexpected";

    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final Recording rec = new Recording();
    private final Object lock = rec.lock;

    private ScriptedSmtpServer(List<ScriptStep> steps) {
        ScriptInterpreter interpreter = new ScriptInterpreter(steps, rec);
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("script", interpreter.newHandler());
                    }
                });
        ChannelFuture bound = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0));
        if (!bound.awaitUninterruptibly(10, TimeUnit.SECONDS) || !bound.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw new IllegalStateException("scripted SMTP server could not bind 127.0.0.1", bound.cause());
        }
        this.serverChannel = bound.channel();
    }

    /**
     * Starts a server that plays {@code script} against every connection.
     *
     * @param script the script; it is copied, later changes to it have no effect
     * @return the running server, listening on {@code 127.0.0.1:}{@link #port()}
     * @throws IllegalArgumentException if the script is malformed (e.g. a step after {@code close()},
     *                                  unbalanced {@code holdReplies()}/{@code releaseReplies()})
     */
    public static ScriptedSmtpServer start(Script script) {
        Objects.requireNonNull(script, "script");
        List<ScriptStep> steps = List.copyOf(script.steps);
        validate(steps);
        return new ScriptedSmtpServer(steps);
    }

    private static void validate(List<ScriptStep> steps) {
        boolean holding = false;
        for (int i = 0; i < steps.size(); i++) {
            ScriptStep step = steps.get(i);
            if (step.kind == ScriptStep.Kind.HOLD) {
                if (holding) {
                    throw new IllegalArgumentException("holdReplies() while already holding, step " + i);
                }
                holding = true;
            } else if (step.kind == ScriptStep.Kind.RELEASE) {
                if (!holding) {
                    throw new IllegalArgumentException("releaseReplies() without holdReplies(), step " + i);
                }
                holding = false;
            } else if (step.kind == ScriptStep.Kind.START_TLS && holding) {
                throw new IllegalArgumentException("startTls() while holding replies, step " + i);
            }
            boolean terminal = step.kind == ScriptStep.Kind.CLOSE || step.kind == ScriptStep.Kind.EXPECT_CLOSE || step.kind == ScriptStep.Kind.IGNORE_REST;
            if (terminal && i != steps.size() - 1) {
                throw new IllegalArgumentException(step.describe() + " must be the last step, but is step " + i);
            }
        }
        if (holding) {
            throw new IllegalArgumentException("holdReplies() without a later releaseReplies()");
        }
    }

    /**
     * The port the server listens on.
     *
     * @return the ephemeral port on 127.0.0.1
     */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * The address the server listens on.
     *
     * @return {@code 127.0.0.1:port}
     */
    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * How many connections the server accepted so far.
     *
     * @return the number of accepted connections
     */
    public int connectionCount() {
        synchronized (lock) {
            return rec.connections.size();
        }
    }

    /**
     * Waits until at least one connection was accepted and every accepted connection ran its script
     * to the end.
     *
     * @param timeout how long to wait at most
     * @throws AssertionError with the transcript if a step failed, or if the scripts did not finish in time
     */
    public void awaitScriptDone(Duration timeout) {
        awaitScriptDone(1, timeout);
    }

    /**
     * Waits until at least {@code connections} connections were accepted and every accepted
     * connection ran its script to the end.
     *
     * @param connections the number of connections expected at least
     * @param timeout     how long to wait at most
     * @throws AssertionError with the transcript if a step failed, or if the scripts did not finish in time
     */
    public void awaitScriptDone(int connections, Duration timeout) {
        boolean met = rec.await(timeout, () -> !rec.failures.isEmpty() || (rec.connections.size() >= connections
                && rec.connections.stream().allMatch(c -> c.done)));
        synchronized (lock) {
            if (!rec.failures.isEmpty()) {
                throw new AssertionError(rec.report("Script failed"));
            }
            if (!met) {
                throw new AssertionError(rec.report("Script not done within " + timeout + " (expected at least "
                        + connections + " connection(s), accepted " + rec.connections.size() + ")"));
            }
        }
    }

    /**
     * Waits until at least {@code n} connections were accepted.
     *
     * @param n       the number of connections
     * @param timeout how long to wait at most
     * @throws AssertionError with the transcript if fewer connections were accepted in time
     */
    public void awaitConnections(int n, Duration timeout) {
        if (!rec.await(timeout, () -> rec.connections.size() >= n)) {
            synchronized (lock) {
                throw new AssertionError(rec.report("Expected " + n + " connection(s) within " + timeout
                        + ", accepted " + rec.connections.size()));
            }
        }
    }

    /**
     * Waits until at least one connection was accepted and every accepted connection is closed
     * (by either side).
     *
     * @param timeout how long to wait at most
     * @throws AssertionError with the transcript if a connection is still open after the timeout
     */
    public void awaitConnectionClosed(Duration timeout) {
        if (!rec.await(timeout, () -> !rec.connections.isEmpty() && rec.connections.stream().allMatch(c -> c.closed))) {
            synchronized (lock) {
                throw new AssertionError(rec.report("Connection(s) not closed within " + timeout));
            }
        }
    }

    /**
     * Waits until connection number {@code connection} (0-based, in order of acceptance) was
     * accepted and is closed.
     *
     * @param connection the connection index
     * @param timeout    how long to wait at most
     * @throws AssertionError with the transcript if the connection is not closed in time
     */
    public void awaitConnectionClosed(int connection, Duration timeout) {
        if (!rec.await(timeout, () -> rec.connections.size() > connection && rec.connections.get(connection).closed)) {
            synchronized (lock) {
                throw new AssertionError(rec.report("Connection " + connection + " not closed within " + timeout));
            }
        }
    }

    /**
     * The raw wire bytes of the {@code n}th data section (0-based, across connections, in the order
     * they completed): for {@link Script#expectData()} everything after the DATA line up to and
     * including the terminator {@code CRLF.CRLF}, for {@link Script#expectBdat()} the chunk bytes.
     *
     * @param n the index of the data section
     * @return a copy of the bytes
     * @throws AssertionError if fewer data sections were received
     */
    public byte[] dataReceived(int n) {
        synchronized (lock) {
            if (n >= rec.dataSections.size()) {
                throw new AssertionError(rec.report("No data section " + n + ", received " + rec.dataSections.size()));
            }
            return rec.dataSections.get(n).clone();
        }
    }

    /**
     * The content of the {@code n}th DATA section as a server delivers it: the terminator removed
     * and leading dots un-stuffed.
     *
     * @param n the index of the data section
     * @return the un-stuffed content, without the terminator
     */
    public byte[] messageReceived(int n) {
        return unstuff(dataReceived(n));
    }

    /**
     * How many data sections were received, across rec.connections.
     *
     * @return the number of completed data sections
     */
    public int dataCount() {
        synchronized (lock) {
            return rec.dataSections.size();
        }
    }

    /**
     * The command lines (without CRLF) received on one connection, in order; DATA content is not
     * included.
     *
     * @param connection the connection index, 0-based in order of acceptance
     * @return a copy of the lines
     */
    public List<String> linesReceived(int connection) {
        synchronized (lock) {
            if (connection >= rec.connections.size()) {
                throw new AssertionError(rec.report("No connection " + connection + ", accepted " + rec.connections.size()));
            }
            return List.copyOf(rec.connections.get(connection).lines);
        }
    }

    /**
     * The failures recorded so far, one readable message each.
     *
     * @return a copy of the failures
     */
    public List<String> failures() {
        synchronized (lock) {
            return List.copyOf(rec.failures);
        }
    }

    /**
     * Everything received and sent, one line per entry: {@code [n] C: ...} for what connection
     * {@code n} received from the client, {@code [n] S: ...} for what the server sent, {@code [n] * ...}
     * for events and {@code [n] !! ...} for rec.failures. Non-printable bytes are escaped.
     *
     * @return the transcript
     */
    public String transcript() {
        synchronized (lock) {
            return String.join("\n", rec.transcript);
        }
    }

    /** Closes every connection and stops the server; waits (bounded) for the event loop to end. */
    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        List<ScriptConnection> open;
        synchronized (lock) {
            open = new ArrayList<>(rec.connections);
        }
        for (ScriptConnection c : open) {
            c.channel.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * Un-stuffs a DATA section: removes the terminator and one leading dot from every line.
     *
     * @param wire the bytes after the DATA line up to and including {@code CRLF.CRLF} (or {@code .CRLF})
     * @return the content as a server delivers it
     */
    public static byte[] unstuff(byte[] wire) {
        int end = wire.length;
        if (end >= 3 && wire[end - 3] == '.' && wire[end - 2] == '\r' && wire[end - 1] == '\n') {
            end -= 3; // keep the CRLF in front of the dot: it belongs to the last line
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(end);
        boolean lineStart = true;
        for (int i = 0; i < end; i++) {
            byte b = wire[i];
            if (!(lineStart && b == '.')) {
                out.write(b);
            }
            lineStart = b == '\n' && i > 0 && wire[i - 1] == '\r';
        }
        return out.toByteArray();
    }
}
