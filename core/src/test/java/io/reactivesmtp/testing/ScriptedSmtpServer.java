package io.reactivesmtp.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * {@link #awaitScriptDone(Duration)} throws an {@link AssertionError} with the transcript. A
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

    private static final byte[] UNEXPECTED_BYTES = (UNEXPECTED_REPLY + "\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TERMINATOR = {'\r', '\n', '.', '\r', '\n'};
    private static final Pattern BDAT = Pattern.compile("BDAT ([0-9]{1,9})( LAST)?", Pattern.CASE_INSENSITIVE);
    private static final long SLOW_WRITE_PAUSE_MICROS = 1000;

    private final List<Step> steps;
    private final EventLoopGroup group;
    private final Channel serverChannel;

    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final List<Connection> connections = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    private final List<String> transcript = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    private final List<String> failures = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    private final List<byte[]> dataSections = new ArrayList<>();

    private ScriptedSmtpServer(List<Step> steps) {
        this.steps = steps;
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("script", new ScriptHandler());
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
        List<Step> steps = List.copyOf(script.steps);
        validate(steps);
        return new ScriptedSmtpServer(steps);
    }

    private static void validate(List<Step> steps) {
        boolean holding = false;
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            if (step.kind == Kind.HOLD) {
                if (holding) {
                    throw new IllegalArgumentException("holdReplies() while already holding, step " + i);
                }
                holding = true;
            } else if (step.kind == Kind.RELEASE) {
                if (!holding) {
                    throw new IllegalArgumentException("releaseReplies() without holdReplies(), step " + i);
                }
                holding = false;
            } else if (step.kind == Kind.START_TLS && holding) {
                throw new IllegalArgumentException("startTls() while holding replies, step " + i);
            }
            boolean terminal = step.kind == Kind.CLOSE || step.kind == Kind.EXPECT_CLOSE || step.kind == Kind.IGNORE_REST;
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
            return connections.size();
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
        boolean met = await(timeout, () -> !failures.isEmpty() || (this.connections.size() >= connections
                && this.connections.stream().allMatch(c -> c.done)));
        synchronized (lock) {
            if (!failures.isEmpty()) {
                throw new AssertionError(report("Script failed"));
            }
            if (!met) {
                throw new AssertionError(report("Script not done within " + timeout + " (expected at least "
                        + connections + " connection(s), accepted " + this.connections.size() + ")"));
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
        if (!await(timeout, () -> connections.size() >= n)) {
            synchronized (lock) {
                throw new AssertionError(report("Expected " + n + " connection(s) within " + timeout
                        + ", accepted " + connections.size()));
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
        if (!await(timeout, () -> !connections.isEmpty() && connections.stream().allMatch(c -> c.closed))) {
            synchronized (lock) {
                throw new AssertionError(report("Connection(s) not closed within " + timeout));
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
        if (!await(timeout, () -> connections.size() > connection && connections.get(connection).closed)) {
            synchronized (lock) {
                throw new AssertionError(report("Connection " + connection + " not closed within " + timeout));
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
            if (n >= dataSections.size()) {
                throw new AssertionError(report("No data section " + n + ", received " + dataSections.size()));
            }
            return dataSections.get(n).clone();
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
     * How many data sections were received, across connections.
     *
     * @return the number of completed data sections
     */
    public int dataCount() {
        synchronized (lock) {
            return dataSections.size();
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
            if (connection >= connections.size()) {
                throw new AssertionError(report("No connection " + connection + ", accepted " + connections.size()));
            }
            return List.copyOf(connections.get(connection).lines);
        }
    }

    /**
     * The failures recorded so far, one readable message each.
     *
     * @return a copy of the failures
     */
    public List<String> failures() {
        synchronized (lock) {
            return List.copyOf(failures);
        }
    }

    /**
     * Everything received and sent, one line per entry: {@code [n] C: ...} for what connection
     * {@code n} received from the client, {@code [n] S: ...} for what the server sent, {@code [n] * ...}
     * for events and {@code [n] !! ...} for failures. Non-printable bytes are escaped.
     *
     * @return the transcript
     */
    public String transcript() {
        synchronized (lock) {
            return String.join("\n", transcript);
        }
    }

    /** Closes every connection and stops the server; waits (bounded) for the event loop to end. */
    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        List<Connection> open;
        synchronized (lock) {
            open = new ArrayList<>(connections);
        }
        for (Connection c : open) {
            c.channel.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------------------------------
    // shared state helpers

    private boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting", e);
                }
            }
            return true;
        }
    }

    /** Must hold {@link #lock}. */
    private String report(String headline) {
        StringBuilder sb = new StringBuilder(headline).append('\n');
        for (String f : failures) {
            sb.append("  failure: ").append(f).append('\n');
        }
        for (Connection c : connections) {
            sb.append("  [").append(c.id).append("] ").append(c.status()).append('\n');
        }
        sb.append("Transcript:\n");
        for (String t : transcript) {
            sb.append("  ").append(t).append('\n');
        }
        return sb.toString();
    }

    private void log(Connection c, String entry) {
        synchronized (lock) {
            transcript.add("[" + c.id + "] " + entry);
        }
    }

    static String escape(byte[] bytes, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            int b = bytes[i] & 0xff;
            if (b == '\r') {
                sb.append("\\r");
            } else if (b == '\n') {
                sb.append("\\n");
            } else if (b == '\\') {
                sb.append("\\\\");
            } else if (b < 0x20 || b == 0x7f || b >= 0x80) {
                sb.append(String.format("\\x%02x", b));
            } else {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch == 0x7f) {
                sb.append(String.format("\\x%02x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
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

    // ------------------------------------------------------------------------------------------
    // the interpreter

    /** The state of one connection; everything but the guarded fields is touched on its event loop only. */
    private final class Connection {
        final int id;
        final Channel channel;
        final Inbound in = new Inbound();
        /** Guarded by {@link #lock}. */
        final List<String> lines = new ArrayList<>();
        /** Written under {@link #lock}. */
        volatile boolean done;
        /** Written under {@link #lock}. */
        volatile boolean closed;
        volatile boolean failed;
        volatile int index;
        /** How many lines of the current expect-lines step matched. */
        int matched;
        /** Remaining chunk bytes of the current BDAT step, or -1 while its command line is awaited. */
        int bdatRemaining = -1;
        /** Where the search for the DATA terminator continues. */
        int dataScanned;
        /** An asynchronous step (delay, slow write, timer, TLS handshake) is in progress. */
        boolean busy;
        /** Identifies the current asynchronous step; stale timers compare it. */
        long token;
        boolean timerArmed;
        boolean ignoring;
        ByteArrayOutputStream held;

        Connection(int id, Channel channel) {
            this.id = id;
            this.channel = channel;
        }

        String status() {
            if (failed) {
                return "failed at step " + index + (index < steps.size() ? " (" + steps.get(index).describe() + ")" : "");
            }
            if (done) {
                return "script done" + (closed ? ", closed" : ", open");
            }
            return "waiting at step " + index + " (" + steps.get(Math.min(index, steps.size() - 1)).describe() + ")"
                    + (closed ? ", closed" : ", open");
        }
    }

    private final class ScriptHandler extends ChannelInboundHandlerAdapter {
        private Connection c;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            synchronized (lock) {
                c = new Connection(connections.size(), ctx.channel());
                connections.add(c);
                transcript.add("[" + c.id + "] * connected from " + ctx.channel().remoteAddress());
                lock.notifyAll();
            }
            advance(c);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (c != null && msg instanceof ByteBuf) {
                    c.in.append((ByteBuf) msg);
                    advance(c);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (c != null) {
                onClosed(c);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (c == null) {
                return;
            }
            if (cause instanceof IOException) {
                log(c, "* " + cause); // e.g. connection reset: the close that follows decides
            } else {
                fail(c, "exception: " + cause, false);
            }
            ctx.close();
        }
    }

    private void onClosed(Connection c) {
        c.token++;
        synchronized (lock) {
            c.closed = true;
            transcript.add("[" + c.id + "] * connection closed");
            lock.notifyAll();
        }
        if (c.failed) {
            return;
        }
        if (c.done) {
            if (!c.ignoring && c.in.readable() > 0) {
                fail(c, "unexpected input after the script ended: \"" + escape(c.in.a, c.in.r, c.in.w) + "\"", false);
            }
            return;
        }
        if (c.index < steps.size() && steps.get(c.index).kind == Kind.EXPECT_CLOSE) {
            if (c.in.readable() > 0) {
                fail(c, "client sent " + c.in.readable() + " unexpected byte(s) before closing: \""
                        + escape(c.in.a, c.in.r, c.in.w) + "\"", false);
                return;
            }
            c.index++;
            finish(c);
            return;
        }
        String partial = c.in.readable() > 0 ? " with unconsumed input \"" + escape(c.in.a, c.in.r, c.in.w) + "\"" : "";
        fail(c, "connection closed by the client before the script ended, at step " + c.index + " ("
                + steps.get(c.index).describe() + ")" + partial, false);
    }

    private void finish(Connection c) {
        synchronized (lock) {
            if (!c.done) {
                c.done = true;
                transcript.add("[" + c.id + "] * script done");
                lock.notifyAll();
            }
        }
    }

    private void fail(Connection c, String message, boolean reply) {
        if (c.failed) {
            return;
        }
        c.failed = true;
        c.token++;
        synchronized (lock) {
            failures.add("[" + c.id + "] " + message);
            transcript.add("[" + c.id + "] !! " + message);
            lock.notifyAll();
        }
        if (reply) {
            writeNow(c, UNEXPECTED_BYTES, UNEXPECTED_REPLY);
        }
    }

    private void writeNow(Connection c, byte[] bytes, String logText) {
        log(c, "S: " + logText);
        c.channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }

    private void send(Connection c, byte[] bytes, List<String> logLines) {
        if (c.held != null) {
            c.held.writeBytes(bytes);
            for (String l : logLines) {
                log(c, "S (held): " + l);
            }
            return;
        }
        for (String l : logLines) {
            log(c, "S: " + l);
        }
        c.channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }

    /** Runs steps until one waits for input or time; called on the connection's event loop. */
    private void advance(Connection c) {
        while (true) {
            if (c.failed) {
                drainAfterFailure(c);
                return;
            }
            if (c.busy) {
                return;
            }
            if (c.done) {
                if (c.in.readable() == 0) {
                    return;
                }
                if (c.ignoring) {
                    byte[] rest = c.in.take(c.in.readable());
                    log(c, "C (ignored): " + escape(rest, 0, rest.length));
                    return;
                }
                String line = pollLine(c);
                if (line != null) {
                    fail(c, "unexpected input after the script ended: \"" + escape(line) + "\"", true);
                }
                if (!c.failed) {
                    return; // a partial line: reported when complete, or when the client closes
                }
                continue;
            }
            if (c.index >= steps.size()) {
                finish(c);
                continue;
            }
            Step step = steps.get(c.index);
            switch (step.kind) {
                case SEND:
                case SEND_RAW:
                    send(c, step.bytes, step.logLines());
                    c.index++;
                    break;
                case SEND_SLOW:
                    if (c.held != null) {
                        send(c, step.bytes, step.logLines());
                        c.index++;
                        break;
                    }
                    for (String l : step.logLines()) {
                        log(c, "S (one byte per segment): " + l);
                    }
                    c.busy = true;
                    writeSlowly(c, step.bytes, 0, ++c.token);
                    return;
                case DELAY: {
                    c.busy = true;
                    long token = ++c.token;
                    log(c, "* delay " + step.duration);
                    c.channel.eventLoop().schedule(() -> {
                        if (c.token == token && !c.failed) {
                            c.busy = false;
                            c.index++;
                            advance(c);
                        }
                    }, step.duration.toNanos(), TimeUnit.NANOSECONDS);
                    return;
                }
                case HOLD:
                    c.held = new ByteArrayOutputStream();
                    log(c, "* holding replies");
                    c.index++;
                    break;
                case RELEASE: {
                    byte[] bytes = c.held.toByteArray();
                    c.held = null;
                    log(c, "* releasing " + bytes.length + " held byte(s) in one write");
                    c.channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
                    c.index++;
                    break;
                }
                case CLOSE:
                    log(c, "* server closes the connection");
                    c.index++;
                    finish(c);
                    c.channel.close();
                    return;
                case IGNORE_REST:
                    c.ignoring = true;
                    c.index++;
                    finish(c);
                    break;
                case START_TLS:
                    if (c.in.readable() > 0) {
                        fail(c, "client sent " + c.in.readable() + " byte(s) before the TLS handshake: \""
                                + escape(c.in.a, c.in.r, c.in.w) + "\"", false);
                        c.in.take(c.in.readable());
                        c.channel.close();
                        return;
                    }
                    startTls(c, step);
                    return;
                case EXPECT_LINE:
                    if (!expectLine(c, step) && !c.failed) {
                        return; // waiting for input or time
                    }
                    break;
                case EXPECT_DATA:
                    if (!expectData(c) && !c.failed) {
                        return; // waiting for input or time
                    }
                    break;
                case EXPECT_BDAT:
                    if (!expectBdat(c) && !c.failed) {
                        return; // waiting for input or time
                    }
                    break;
                case EXPECT_NOTHING:
                case EXPECT_CLOSE:
                    if (!expectSilence(c, step) && !c.failed) {
                        return; // waiting for input or time
                    }
                    break;
                default:
                    throw new IllegalStateException(String.valueOf(step.kind));
            }
        }
    }

    /** After a failure every further complete line is recorded and answered with 500. */
    private void drainAfterFailure(Connection c) {
        String line;
        while (c.channel.isActive() && (line = pollLineQuietly(c)) != null) {
            writeNow(c, UNEXPECTED_BYTES, UNEXPECTED_REPLY);
        }
    }

    private void writeSlowly(Connection c, byte[] bytes, int i, long token) {
        if (c.token != token || c.failed || !c.channel.isActive()) {
            return;
        }
        if (i == bytes.length) {
            c.busy = false;
            c.index++;
            advance(c);
            return;
        }
        c.channel.writeAndFlush(Unpooled.wrappedBuffer(bytes, i, 1));
        c.channel.eventLoop().schedule(() -> writeSlowly(c, bytes, i + 1, token),
                SLOW_WRITE_PAUSE_MICROS, TimeUnit.MICROSECONDS);
    }

    private void startTls(Connection c, Step step) {
        c.busy = true;
        long token = ++c.token;
        SslHandler ssl = step.ssl.newHandler(c.channel.alloc());
        c.channel.pipeline().addFirst("tls", ssl);
        log(c, "* TLS handshake started");
        ssl.handshakeFuture().addListener(f -> {
            if (c.token != token || c.failed) {
                return;
            }
            if (f.isSuccess()) {
                log(c, "* TLS established: " + ssl.engine().getSession().getProtocol()
                        + " " + ssl.engine().getSession().getCipherSuite());
                c.busy = false;
                c.index++;
                advance(c);
            } else {
                fail(c, "TLS handshake failed: " + f.cause(), false);
                c.channel.close();
            }
        });
    }

    /** @return true if the step completed (advance to the next), false to wait */
    private boolean expectLine(Connection c, Step step) {
        while (c.matched < step.count) {
            String line = pollLine(c);
            if (line == null) {
                return false;
            }
            boolean ok = step.pattern != null ? step.pattern.matcher(line).matches() : step.text.equals(line);
            if (!ok) {
                fail(c, "step " + c.index + ": " + step.describe() + (step.count > 1 ? " (line " + (c.matched + 1)
                        + " of " + step.count + ")" : "") + ", but got \"" + escape(line) + "\"", true);
                return false;
            }
            c.matched++;
        }
        c.matched = 0;
        c.index++;
        return true;
    }

    private boolean expectData(Connection c) {
        Inbound in = c.in;
        int end = -1;
        if (in.readable() >= 3 && in.a[in.r] == '.' && in.a[in.r + 1] == '\r' && in.a[in.r + 2] == '\n') {
            end = in.r + 3;
        } else {
            int at = in.indexOf(TERMINATOR, Math.max(in.r, in.r + c.dataScanned - TERMINATOR.length));
            if (at >= 0) {
                end = at + TERMINATOR.length;
            } else {
                c.dataScanned = in.readable();
                return false;
            }
        }
        c.dataScanned = 0;
        byte[] data = in.take(end - in.r);
        synchronized (lock) {
            dataSections.add(data);
            int n = dataSections.size() - 1;
            transcript.add("[" + c.id + "] * data section " + n + ", " + data.length + " byte(s) incl. terminator:");
            int start = 0;
            for (int i = 0; i < data.length; i++) {
                if (data[i] == '\n' || i == data.length - 1) {
                    transcript.add("[" + c.id + "] C: " + escape(data, start, i + 1));
                    start = i + 1;
                }
            }
        }
        c.index++;
        return true;
    }

    private boolean expectBdat(Connection c) {
        if (c.bdatRemaining < 0) {
            String line = pollLine(c);
            if (line == null) {
                return false;
            }
            Matcher m = BDAT.matcher(line);
            if (!m.matches()) {
                fail(c, "step " + c.index + ": expected \"BDAT <size> [LAST]\", but got \"" + escape(line) + "\"", true);
                return false;
            }
            c.bdatRemaining = Integer.parseInt(m.group(1));
        }
        if (c.in.readable() < c.bdatRemaining) {
            return false;
        }
        byte[] chunk = c.in.take(c.bdatRemaining);
        c.bdatRemaining = -1;
        synchronized (lock) {
            dataSections.add(chunk);
            transcript.add("[" + c.id + "] * data section " + (dataSections.size() - 1) + ", BDAT chunk of "
                    + chunk.length + " byte(s)");
            transcript.add("[" + c.id + "] C: " + escape(chunk, 0, chunk.length));
        }
        c.index++;
        return true;
    }

    private boolean expectSilence(Connection c, Step step) {
        if (c.in.readable() > 0) {
            String what = escape(c.in.a, c.in.r, c.in.w);
            fail(c, "step " + c.index + ": " + step.describe() + ", but the client sent \"" + what + "\"",
                    c.in.indexOf(new byte[] {'\n'}, c.in.r) >= 0);
            c.in.take(c.in.readable());
            return false;
        }
        if (!c.timerArmed) {
            c.timerArmed = true;
            long token = ++c.token;
            c.channel.eventLoop().schedule(() -> {
                if (c.token != token || c.failed) {
                    return;
                }
                c.timerArmed = false;
                if (step.kind == Kind.EXPECT_CLOSE) {
                    fail(c, "step " + c.index + ": " + step.describe() + ", but the connection is still open", false);
                    c.channel.close();
                } else {
                    log(c, "* nothing received for " + step.duration);
                    c.index++;
                    advance(c);
                }
            }, step.duration.toNanos(), TimeUnit.NANOSECONDS);
        }
        return false;
    }

    /** Takes one CRLF-terminated line, recording it; records a failure for a bare LF or a too long line. */
    private String pollLine(Connection c) {
        Inbound in = c.in;
        int lf = in.indexOf(new byte[] {'\n'}, in.r);
        if (lf < 0) {
            if (in.readable() > MAX_LINE_LENGTH + 2) {
                fail(c, "line longer than " + MAX_LINE_LENGTH + " bytes: \""
                        + escape(in.a, in.r, in.r + 80) + "...\"", true);
                in.take(in.readable());
                c.channel.close();
            }
            return null;
        }
        byte[] raw = in.take(lf + 1 - in.r);
        boolean crlf = raw.length >= 2 && raw[raw.length - 2] == '\r';
        String line = new String(raw, 0, raw.length - (crlf ? 2 : 1), StandardCharsets.UTF_8);
        synchronized (lock) {
            c.lines.add(line);
            transcript.add("[" + c.id + "] C: " + escape(raw, 0, raw.length - (crlf ? 2 : 1)) + (crlf ? "" : "  <bare LF>"));
        }
        if (!crlf) {
            fail(c, "line not terminated by CRLF (bare LF): \"" + escape(line) + "\"", true);
            return null;
        }
        if (line.length() > MAX_LINE_LENGTH) {
            fail(c, "line longer than " + MAX_LINE_LENGTH + " bytes", true);
            return null;
        }
        return line;
    }

    private String pollLineQuietly(Connection c) {
        Inbound in = c.in;
        int lf = in.indexOf(new byte[] {'\n'}, in.r);
        if (lf < 0) {
            if (in.readable() > MAX_LINE_LENGTH + 2) {
                in.take(in.readable());
            }
            return null;
        }
        byte[] raw = in.take(lf + 1 - in.r);
        String line = escape(raw, 0, raw.length);
        log(c, "C (after failure): " + line);
        return line;
    }

    /** A growable byte buffer of received, not yet consumed input. */
    private static final class Inbound {
        byte[] a = new byte[512];
        int r;
        int w;

        void append(ByteBuf buf) {
            int n = buf.readableBytes();
            if (a.length - w < n) {
                if (r > 0) {
                    System.arraycopy(a, r, a, 0, w - r);
                    w -= r;
                    r = 0;
                }
                if (a.length - w < n) {
                    a = Arrays.copyOf(a, Math.max(a.length * 2, w + n));
                }
            }
            buf.readBytes(a, w, n);
            w += n;
        }

        int readable() {
            return w - r;
        }

        int indexOf(byte[] needle, int from) {
            outer:
            for (int i = from; i <= w - needle.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (a[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        byte[] take(int n) {
            byte[] out = Arrays.copyOfRange(a, r, r + n);
            r += n;
            if (r == w) {
                r = 0;
                w = 0;
            }
            return out;
        }
    }

    // ------------------------------------------------------------------------------------------
    // the script

    private enum Kind {
        SEND, SEND_RAW, SEND_SLOW, DELAY, HOLD, RELEASE, CLOSE, IGNORE_REST, START_TLS,
        EXPECT_LINE, EXPECT_DATA, EXPECT_BDAT, EXPECT_NOTHING, EXPECT_CLOSE
    }

    private static final class Step {
        final Kind kind;
        String text;
        Pattern pattern;
        int count = 1;
        byte[] bytes;
        List<String> lines = List.of();
        Duration duration;
        SslContext ssl;

        Step(Kind kind) {
            this.kind = kind;
        }

        List<String> logLines() {
            if (kind == Kind.SEND_RAW) {
                return List.of(escape(bytes, 0, bytes.length) + "  <raw>");
            }
            List<String> out = new ArrayList<>();
            for (String l : lines) {
                out.add(escape(l));
            }
            return out;
        }

        String describe() {
            switch (kind) {
                case SEND:
                    return "send " + lines;
                case SEND_RAW:
                    return "sendRaw \"" + escape(bytes, 0, bytes.length) + "\"";
                case SEND_SLOW:
                    return "sendOneBytePerSegment " + lines;
                case DELAY:
                    return "delay " + duration;
                case HOLD:
                    return "holdReplies";
                case RELEASE:
                    return "releaseReplies";
                case CLOSE:
                    return "close";
                case IGNORE_REST:
                    return "ignoreRest";
                case START_TLS:
                    return "startTls";
                case EXPECT_LINE:
                    String what = pattern != null ? "expected a line matching /" + pattern.pattern() + "/"
                            : "expected \"" + escape(text) + "\"";
                    return count > 1 ? what + " x" + count : what;
                case EXPECT_DATA:
                    return "expectData (until CRLF.CRLF)";
                case EXPECT_BDAT:
                    return "expectBdat";
                case EXPECT_NOTHING:
                    return "expectNothing for " + duration;
                case EXPECT_CLOSE:
                    return "expectClose within " + duration;
                default:
                    return kind.name();
            }
        }
    }

    /**
     * The steps a {@link ScriptedSmtpServer} plays against each connection. Built fluently; the
     * server copies it at {@link ScriptedSmtpServer#start(Script)}.
     */
    public static final class Script {
        private final List<Step> steps = new ArrayList<>();

        private Script() {
        }

        /**
         * Creates an empty script.
         *
         * @return a new script
         */
        public static Script create() {
            return new Script();
        }

        private Script add(Step step) {
            steps.add(step);
            return this;
        }

        private static List<String> checkLines(String... lines) {
            if (lines.length == 0) {
                throw new IllegalArgumentException("at least one line");
            }
            for (String l : lines) {
                if (l.indexOf('\r') >= 0 || l.indexOf('\n') >= 0) {
                    throw new IllegalArgumentException("CR/LF in a line (use sendRaw for that): " + escape(l));
                }
            }
            return Collections.unmodifiableList(new ArrayList<>(Arrays.asList(lines)));
        }

        private static byte[] crlfJoined(List<String> lines) {
            StringBuilder sb = new StringBuilder();
            for (String l : lines) {
                sb.append(l).append("\r\n");
            }
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        private static Duration checkDuration(Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("duration must be >= 0: " + d);
            }
            return d;
        }

        /**
         * Writes the lines, each followed by CRLF, in one write and flush (UTF-8).
         *
         * @param lines the reply lines, without CR or LF
         * @return this script
         */
        public Script send(String... lines) {
            Step s = new Step(Kind.SEND);
            s.lines = checkLines(lines);
            s.bytes = crlfJoined(s.lines);
            return add(s);
        }

        /**
         * Writes exactly these bytes in one write and flush; no CRLF is added.
         *
         * @param bytes the bytes
         * @return this script
         */
        public Script sendRaw(byte[] bytes) {
            Step s = new Step(Kind.SEND_RAW);
            s.bytes = bytes.clone();
            return add(s);
        }

        /**
         * Writes exactly this text as UTF-8 in one write and flush; no CRLF is added.
         *
         * @param text the text, with whatever line endings the test wants
         * @return this script
         */
        public Script sendRaw(String text) {
            return sendRaw(text.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * Writes the lines (CRLF added) one byte per write and flush, with about 1 ms between the
         * bytes (TCP_NODELAY is on), so the client reads them in many small segments.
         *
         * @param lines the reply lines
         * @return this script
         */
        public Script sendOneBytePerSegment(String... lines) {
            Step s = new Step(Kind.SEND_SLOW);
            s.lines = checkLines(lines);
            s.bytes = crlfJoined(s.lines);
            return add(s);
        }

        /**
         * Pauses the script (a scheduled task; client input is buffered meanwhile).
         *
         * @param duration how long
         * @return this script
         */
        public Script delay(Duration duration) {
            Step s = new Step(Kind.DELAY);
            s.duration = checkDuration(duration);
            return add(s);
        }

        /**
         * From here on, sends are buffered until {@link #releaseReplies()}, which writes them in
         * one write: a server that queues many replies before writing.
         *
         * @return this script
         */
        public Script holdReplies() {
            return add(new Step(Kind.HOLD));
        }

        /**
         * Writes everything buffered since {@link #holdReplies()} in one write and flush.
         *
         * @return this script
         */
        public Script releaseReplies() {
            return add(new Step(Kind.RELEASE));
        }

        /**
         * Expects the next line (without CRLF) to equal {@code line} exactly.
         *
         * @param line the expected line
         * @return this script
         */
        public Script expect(String line) {
            Step s = new Step(Kind.EXPECT_LINE);
            s.text = Objects.requireNonNull(line, "line");
            return add(s);
        }

        /**
         * Expects the next line (without CRLF) to match {@code regex} completely.
         *
         * @param regex a {@link Pattern} regular expression
         * @return this script
         */
        public Script expectMatching(String regex) {
            return expectLines(1, regex);
        }

        /**
         * Expects the next {@code n} lines to match {@code regex} completely, without replying in between.
         *
         * @param n     how many lines, at least 1
         * @param regex a {@link Pattern} regular expression
         * @return this script
         */
        public Script expectLines(int n, String regex) {
            if (n < 1) {
                throw new IllegalArgumentException("n must be >= 1: " + n);
            }
            Step s = new Step(Kind.EXPECT_LINE);
            s.pattern = Pattern.compile(regex);
            s.count = n;
            return add(s);
        }

        /**
         * Reads the raw DATA content up to and including {@code CRLF.CRLF} (or a first line
         * {@code .} for an empty message) and records it; see {@link ScriptedSmtpServer#dataReceived(int)}.
         * Use it directly after the reply to DATA.
         *
         * @return this script
         */
        public Script expectData() {
            return add(new Step(Kind.EXPECT_DATA));
        }

        /**
         * Expects a line {@code BDAT <size>} or {@code BDAT <size> LAST}, then reads exactly
         * {@code size} raw bytes and records them as a data section.
         *
         * @return this script
         */
        public Script expectBdat() {
            return add(new Step(Kind.EXPECT_BDAT));
        }

        /**
         * Expects that the client sends nothing (not a byte) for {@code duration}; any byte already
         * buffered or arriving meanwhile is a failure.
         *
         * @param duration how long
         * @return this script
         */
        public Script expectNothing(Duration duration) {
            Step s = new Step(Kind.EXPECT_NOTHING);
            s.duration = checkDuration(duration);
            return add(s);
        }

        /**
         * Expects that the client closes the connection within {@code duration} without sending
         * anything more. Must be the last step. If it does not, the server records a failure and
         * closes the connection.
         *
         * @param duration how long to wait at most
         * @return this script
         */
        public Script expectClose(Duration duration) {
            Step s = new Step(Kind.EXPECT_CLOSE);
            s.duration = checkDuration(duration);
            return add(s);
        }

        /**
         * Closes the connection now. Must be the last step.
         *
         * @return this script
         */
        public Script close() {
            return add(new Step(Kind.CLOSE));
        }

        /**
         * Ends the script but keeps the connection open and accepts (records, without replying)
         * whatever the client sends later, and its close. Must be the last step. For tests where
         * the client gives up, e.g. after a timeout, and may or may not send QUIT.
         *
         * @return this script
         */
        public Script ignoreRest() {
            return add(new Step(Kind.IGNORE_REST));
        }

        /**
         * Starts server-side TLS now: adds an {@link SslHandler} from {@code serverContext} in
         * front of the pipeline and continues when the handshake succeeded (a failed handshake is a
         * failure). Typically after {@code expect("STARTTLS").send("220 2.0.0 ready")}. Input
         * buffered before the handshake starts (plaintext sent behind STARTTLS) is a failure.
         *
         * @param serverContext a server {@link SslContext}
         * @return this script
         */
        public Script startTls(SslContext serverContext) {
            if (!serverContext.isServer()) {
                throw new IllegalArgumentException("a server SslContext is required");
            }
            Step s = new Step(Kind.START_TLS);
            s.ssl = serverContext;
            return add(s);
        }

        /**
         * Appends the steps {@code body} adds, {@code times} times, e.g.
         * {@code repeat(1000, s -> s.expectMatching("RCPT TO:<.*>").send("250 ok"))}.
         *
         * @param times how often, at least 0
         * @param body  adds the steps of one round to the script it is given
         * @return this script
         */
        public Script repeat(int times, Consumer<Script> body) {
            if (times < 0) {
                throw new IllegalArgumentException("times must be >= 0: " + times);
            }
            Script round = new Script();
            body.accept(round);
            for (int i = 0; i < times; i++) {
                steps.addAll(round.steps);
            }
            return this;
        }
    }
}
