package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.reactivesmtp.Capabilities;
import io.reactivesmtp.Credentials;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpPolicyException;
import io.reactivesmtp.SmtpProtocolException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.SmtpTimeoutException;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * The state machine of one SMTP connection: greeting, EHLO (HELO fallback), then mail transactions one
 * after another, then QUIT. Every command is queued in a FIFO of pending commands <em>before</em> it is
 * written, and each complete reply completes the head of that queue, so pipelined replies (RFC 2920) can
 * never pair with the wrong command. One timer runs at a time: for the oldest unanswered command, or for
 * the content block being written.
 *
 * <p>Replies come in reads: the decoder fires every reply of one read, one after the other, then the read
 * completes. What a reply triggers (the next command, the content) is written at once but flushed only when
 * the read completes, so that every byte of that read has been matched first. Bytes that answer nothing fail
 * the session before anything they could be mistaken for goes out: a reply with no command pending, a reply
 * received in the same read as the command it would answer was queued (the server answered a command it had
 * not seen), and any byte buffered behind the reply to the last pending command (421 aside: RFC 5321 section
 * 3.8 lets a server announce its closing at any time).
 *
 * <p>All state is touched on the channel's event loop only; the public methods hop onto it.
 */
public final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {

    private enum State { GREETING, HELLO, READY, TRANSACTION, QUITTING, CLOSED }

    /** Netty's SmtpCommand has no constants for RFC 3207's and RFC 3030's verbs. */
    private static final SmtpCommand STARTTLS = SmtpCommand.valueOf("STARTTLS");
    static final SmtpCommand BDAT = SmtpCommand.valueOf("BDAT");

    /**
     * The SMTP dialogue, one line per command and reply, at DEBUG (through whatever logging Netty binds to,
     * SLF4J when present). AUTH arguments and continuation lines are redacted; content is never logged.
     */
    private static final InternalLogger TRANSCRIPT = InternalLoggerFactory.getInstance("io.reactivesmtp.transcript");

    static boolean hasEightBit(ByteBuf buf) {
        return buf.isReadable() && buf.forEachByte(b -> b >= 0) >= 0;
    }

    final SmtpSessionOptions options;
    private final String peerHost;
    private final int peerPort;
    private final CompletableFuture<Capabilities> ready = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    final ArrayDeque<PendingCommand> pending = new ArrayDeque<>();

    ChannelHandlerContext ctx;
    private State state = State.GREETING;
    private boolean started;
    Capabilities capabilities;
    /**
     * The one clock of the session: the phase it runs for (null when stopped) and its deadline. Re-arming only
     * moves the deadline; a check scheduled on the event loop fires at the deadline it was scheduled for and
     * then either times out or re-schedules itself, so the many commands of a busy session do not each
     * schedule and cancel a task.
     */
    private SmtpPhase timerPhase;
    private long deadline;
    private ScheduledFuture<?> timerCheck;
    private long checkAt;
    boolean needsReset;
    /** The transaction that owns the wire: its commands or content are being written, or it awaits replies. */
    MailTransaction tx;
    /**
     * A message whose end of data is written and whose final reply is still due. With PIPELINING the next
     * transaction's commands may already follow it on the wire (RFC 2920 section 3.1: the message content may
     * be the first "command" of a group), so one connection needs one round trip per message.
     */
    MailTransaction draining;
    private SmtpException failure;
    /** A 421 arrived: the server is closing the connection, so ours is closed without QUIT. */
    private boolean serverClosing;
    TlsInfo tlsInfo;
    /** When the TLS upgrade began (STARTTLS written, or the connection up for implicit TLS), System.nanoTime(). */
    private long tlsStartNanos;
    /** How long the TLS upgrade took, once established; null without TLS. */
    private Duration tlsHandshakeTime;
    /** The codec in front, whose decoder says what is buffered behind a reply; null until the first reply. */
    private SmtpClientCodec codec;
    /** True from the first reply of a read until the read completes. */
    private boolean reading;
    /** How many reads that carried a reply have completed: the number of the read in progress. */
    private long readCount;
    /** A flush was asked for during the read in progress; it happens when the read completes. */
    private boolean flushAfterRead;

    /**
     * @param options timeouts, TLS, credentials, HELO name and pipelining preference of this session
     * @param peerHost the server's host name as the caller named it: TLS verifies the certificate against it
     * @param peerPort the server's port
     */
    public SmtpSessionHandler(SmtpSessionOptions options, String peerHost, int peerPort) {
        this.options = options;
        this.peerHost = peerHost;
        this.peerPort = peerPort;
    }

    /** @return completes with the server's capabilities once greeting and EHLO/HELO succeeded */
    public CompletableFuture<Capabilities> ready() {
        return ready;
    }

    /** @return completes when the connection has closed, for whatever reason */
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    /**
     * @return true when the session can carry another message now: greeted, idle (or only awaiting the final
     *     reply of a pipelined message), connection open, no failure (read from any thread; a pool's quick check)
     */
    public boolean isReusable() {
        ChannelHandlerContext c = ctx;
        return c != null && c.channel().isActive() && state == State.READY && failure == null;
    }

    /** @return the capabilities, once {@link #ready()} has completed; null before */
    public Capabilities capabilities() {
        return capabilities;
    }

    /**
     * @return how long establishing TLS took (for STARTTLS from the command to the handshake's end, for implicit
     *     TLS from the connection to the handshake's end), once established; null without TLS
     */
    public Duration tlsHandshakeTime() {
        return tlsHandshakeTime;
    }

    /** @return what TLS the session runs over, once established; null without TLS */
    public TlsInfo tlsInfo() {
        return tlsInfo;
    }

    /**
     * Sends one message in a mail transaction. The session must be ready: idle, or only awaiting the final reply
     * of the previous message (see {@code acceptsNext}).
     *
     * @param envelope who sends and who receives
     * @param content the message bytes
     * @param acceptsNext run once, on the event loop, as soon as the session can take the next message: when
     *     this message's end of data is written and the server pipelines (before its final reply), otherwise
     *     just before the result completes; null for none
     * @return the report, or an {@link SmtpException} when no verdict could be had
     */
    public CompletableFuture<SendReport> send(Envelope envelope, MessageContent content, Runnable acceptsNext) {
        CompletableFuture<SendReport> result = new CompletableFuture<>();
        MailTransaction t = new MailTransaction(this, envelope, content, result, acceptsNext);
        if (ctx == null) {
            result.completeExceptionally(new IllegalStateException("the session handler is not in a pipeline"));
            return result;
        }
        runOnLoop(() -> start(t));
        result.whenComplete((report, error) -> {
            if (error instanceof CancellationException) {
                runOnLoop(() -> cancel(t));
            }
        });
        return result;
    }

    /**
     * Ends the session: QUIT when idle, otherwise closes the connection at once (failing a transaction in
     * progress; a message whose final dot was sent is then reported with an unknown outcome).
     *
     * @return completes when the connection has closed
     */
    public CompletableFuture<Void> close() {
        if (ctx == null) {
            closed.complete(null);
            return closed;
        }
        runOnLoop(this::quit);
        return closed;
    }

    private void runOnLoop(Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            ctx.executor().execute(task);
        }
    }

    // ---------------------------------------------------------------- channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            startGreeting();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        // Handlers behind this one (reactor-netty's bridge) may switch auto-read off as they become active;
        // let them, then take over reading.
        super.channelActive(ctx);
        startGreeting();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof SmtpResponse) {
                reading = true;
                onReply(SmtpReply.of((SmtpResponse) msg));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (state == State.QUITTING) {
            state = State.CLOSED;
            stopTimer();
        } else {
            String where = tx != null || draining != null ? " during the transaction"
                    : state == State.READY ? " while idle" : "";
            failSession(report -> new SmtpConnectionException(
                    "connection closed by the server" + where, null, report));
        }
        if (draining != null) {
            // Closed after QUIT was pipelined behind a message's end of data, before its final reply came.
            failTransaction(draining, report -> new SmtpConnectionException(
                    "connection closed before the final reply", null, report));
        }
        stopTimer();
        closed.complete(null);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof SSLException || c instanceof NotSslRecordException) {
            // The handshake listener reports handshake failures; this covers TLS failing later on.
            failSession(report -> new SmtpTlsException("TLS with " + peer() + " failed: " + describe(c), c));
        } else if (c instanceof SmtpProtocolException) {
            failSession(report -> new SmtpProtocolException(c.getMessage(), report));
        } else if (c instanceof IOException) {
            failSession(report -> new SmtpConnectionException("connection failed: " + c.getMessage(), c, report));
        } else {
            failSession(report -> new SmtpConnectionException("session failed: " + c, c, report));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (reading) {
            reading = false;
            readCount++;
            if (flushAfterRead) {
                flushAfterRead = false;
                ctx.flush(); // after a failure the channel is closed: what was written is dropped, never sent
            }
        }
        if (!ctx.channel().config().isAutoRead() && state != State.CLOSED) {
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (tx != null && tx.awaitingWritability && ctx.channel().isWritable()) {
            tx.pull();
        }
        super.channelWritabilityChanged(ctx);
    }

    // ---------------------------------------------------------------- replies and timers

    private void onReply(SmtpReply reply) {
        if (TRANSCRIPT.isDebugEnabled()) {
            TRANSCRIPT.debug("{} S: {}", ctx.channel().id().asShortText(), reply);
        }
        if (state == State.CLOSED) {
            return;
        }
        PendingCommand head = pending.poll();
        if (head == null) {
            // A 421 may come at any time (RFC 5321 section 3.8), e.g. while the content streams.
            if (reply.code() == 421) {
                onServiceClosing(reply);
            } else {
                failSession(report -> new SmtpProtocolException(
                        "unexpected reply with no command pending: " + reply, report));
            }
            return;
        }
        cancelTimer();
        if (reply.code() == 421 && state != State.QUITTING) {
            onServiceClosing(reply);
            return;
        }
        if (head.queuedInRead == readCount) {
            // Received before the command it would answer was even sent (that command waits for the end of
            // this read): it answers nothing. Failing now keeps that command from ever leaving.
            failSession(report -> new SmtpProtocolException("unexpected reply with no command pending: " + reply
                    + " (it came in the same read as the previous reply, before " + head.name + " was sent)", report));
            return;
        }
        String behind = pending.isEmpty() ? unexpectedBytesBehind() : null;
        if (behind == null) {
            head.onReply.accept(reply);
        } else {
            // The reply itself is genuine, but the bytes behind it answer nothing. A final reply still decides
            // its message (a 250 stays a delivery); what it triggers is written but never flushed, since the
            // session fails before this read completes. Any other reply fails the session unanswered.
            if (head.phase == SmtpPhase.DATA_TERMINATION) {
                head.onReply.accept(reply);
            }
            failSession(report -> new SmtpProtocolException("unexpected reply with no command pending: \"" + behind
                    + "\" came right behind the reply to " + head.name + " (" + reply + ")"
                    + (head.phase == SmtpPhase.STARTTLS ? ", before TLS started (response injection)" : ""), report));
            return;
        }
        if (state != State.CLOSED && !pending.isEmpty() && timerPhase == null) {
            armTimer(pending.peek().phase);
        }
    }

    /** The request as a log line; every secret-bearing part replaced by a marker. */
    static String redacted(SmtpRequest request, PendingCommand command) {
        if (command.phase == SmtpPhase.AUTH) {
            if (SmtpCommand.AUTH.equals(request.command())) {
                List<CharSequence> params = request.parameters();
                return "AUTH " + (params.isEmpty() ? "" : params.get(0)) + (params.size() > 1 ? " <redacted>" : "");
            }
            return "<redacted>";
        }
        StringBuilder sb = new StringBuilder();
        if (!SmtpCommand.EMPTY.equals(request.command())) {
            sb.append(request.command().name());
        }
        for (CharSequence p : request.parameters()) {
            sb.append(' ').append(p);
        }
        return sb.toString();
    }

    void armTimer(SmtpPhase phase) {
        timerPhase = phase;
        deadline = System.nanoTime() + options.timeout(phase).toNanos();
        if (timerCheck == null || checkAt - deadline > 0) {
            // No check scheduled, or it would come too late for this deadline.
            stopTimerCheck();
            scheduleTimerCheck();
        }
    }

    void cancelTimer() {
        timerPhase = null; // a check still scheduled finds nothing to do
    }

    /** Stops the clock for good (the connection is closing): no task of this session stays scheduled. */
    private void stopTimer() {
        timerPhase = null;
        stopTimerCheck();
    }

    private void stopTimerCheck() {
        if (timerCheck != null) {
            timerCheck.cancel(false);
            timerCheck = null;
        }
    }

    private void scheduleTimerCheck() {
        checkAt = deadline;
        timerCheck = ctx.executor().schedule(this::onTimerCheck, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void onTimerCheck() {
        timerCheck = null;
        SmtpPhase phase = timerPhase;
        if (phase == null) {
            return;
        }
        if (System.nanoTime() - deadline < 0) {
            scheduleTimerCheck(); // re-armed since: wait for the new deadline
            return;
        }
        timerPhase = null;
        onTimeout(phase, options.timeout(phase));
    }

    private void onTimeout(SmtpPhase phase, Duration timeout) {
        if (state == State.QUITTING) {
            ctx.close();
            return;
        }
        failSession(report -> new SmtpTimeoutException(phase, timeout, report));
    }

    /** 421: the server is closing the session. A transaction in progress gets a transient verdict. */
    private void onServiceClosing(SmtpReply reply) {
        // Not reusable from here on: whoever gets a report below must not be offered this session again, and
        // a close() it calls must not answer the 421 with QUIT (RFC 5321 3.8: the server is already closing).
        failure = new SmtpConnectionException("server closed the session: " + reply, null, null);
        serverClosing = true;
        if (draining != null) {
            MailTransaction t = draining;
            finish(t, t.report(reply));
        }
        if (tx != null) {
            MailTransaction t = tx;
            finish(t, t.report(reply));
        } else if (!ready.isDone()) {
            ready.completeExceptionally(new SmtpSessionRejectedException(
                    state == State.GREETING ? SmtpPhase.GREETING : SmtpPhase.HELLO, reply));
        }
        failSession(report -> new SmtpConnectionException("server closed the session: " + reply, null, report));
    }

    /**
     * Ends the session for good: fails the transaction in progress (with its partial report), fails the
     * readiness if still pending, and closes the connection.
     */
    void failSession(Function<SendReport, SmtpException> error) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        stopTimer();
        pending.clear();
        SmtpException sessionError = error.apply(null);
        failure = sessionError;
        if (draining != null) {
            failTransaction(draining, error);
        }
        if (tx != null) {
            failTransaction(tx, error);
        }
        if (!ready.isDone()) {
            ready.completeExceptionally(sessionError);
        }
        ctx.close();
    }

    /**
     * Fails one transaction: with an unknown outcome if its end of data was sent (the server may have taken
     * the message), otherwise with {@code error} and the replies so far.
     */
    private void failTransaction(MailTransaction t, Function<SendReport, SmtpException> error) {
        if (t == tx) {
            tx = null;
        } else if (t == draining) {
            draining = null;
        }
        t.closeContent();
        SendReport partial = t.report(null);
        SmtpException txError;
        if (t.terminatorSent) {
            SmtpException cause = error.apply(null);
            txError = new SmtpUnknownOutcomeException("the message was sent but its outcome is unknown: "
                    + cause.getMessage(), cause, partial);
        } else {
            txError = error.apply(partial);
        }
        t.handOff();
        t.result.completeExceptionally(txError);
    }

    /**
     * The bytes buffered behind the reply being handled, shown safe for an error message, when they cannot
     * answer anything because no command is pending; null when there are none or they start a 421.
     */
    private String unexpectedBytesBehind() {
        if (codec == null) {
            codec = ctx.pipeline().get(SmtpClientCodec.class);
            if (codec == null) {
                return null; // a pipeline without our codec (not one SmtpSession builds): nothing to look at
            }
        }
        String text = codec.bufferedText();
        return text.isEmpty() || text.startsWith("421") ? null : text;
    }

    /** Flushes now, or when the read in progress completes (see the class comment). */
    void flush() {
        if (reading) {
            flushAfterRead = true;
        } else {
            ctx.flush();
        }
    }

    void write(Object message, PendingCommand command) {
        if (TRANSCRIPT.isDebugEnabled() && message instanceof SmtpRequest) {
            TRANSCRIPT.debug("{} C: {}", ctx.channel().id().asShortText(), redacted((SmtpRequest) message, command));
        }
        command.queuedInRead = reading ? readCount : -1;
        pending.add(command);
        if (pending.size() == 1) {
            armTimer(command.phase);
        }
        ctx.write(message).addListener(writeFailure);
    }

    final ChannelFutureListener writeFailure = f -> {
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            failSession(report -> new SmtpConnectionException("write failed: " + c, c, report));
        }
    };

    // ---------------------------------------------------------------- greeting and EHLO

    private void startGreeting() {
        if (started) {
            return;
        }
        started = true;
        // The session reads for itself: a 421 or a close must be seen even while idle. Transports such as
        // reactor-netty turn auto-read off and read on demand; here the demand is always there.
        ctx.channel().config().setAutoRead(true);
        ctx.read();
        SslHandler implicitTls = ctx.pipeline().get(SslHandler.class);
        if (implicitTls != null) {
            // Implicit TLS: the greeting comes only after the handshake; the greeting timer covers both.
            tlsStartNanos = System.nanoTime();
            implicitTls.handshakeFuture().addListener(f -> onHandshake(implicitTls, f.cause()));
        }
        pending.add(new PendingCommand("greeting", SmtpPhase.GREETING, this::onGreeting));
        armTimer(SmtpPhase.GREETING);
    }

    private void onGreeting(SmtpReply reply) {
        if (reply.code() != 220) {
            rejectSession(SmtpPhase.GREETING, reply);
            return;
        }
        state = State.HELLO;
        write(new DefaultSmtpRequest(SmtpCommand.EHLO, heloName()), new PendingCommand("EHLO", SmtpPhase.HELLO, this::onEhlo));
        flush();
    }

    private void onEhlo(SmtpReply reply) {
        if (reply.isPositive()) {
            afterHello(Capabilities.fromEhlo(reply));
        } else if (reply.isPermanentFailure() && tlsInfo == null) {
            // RFC 5321 section 3.2: a server that does not know EHLO may still speak HELO.
            write(new DefaultSmtpRequest(SmtpCommand.HELO, heloName()), new PendingCommand("HELO", SmtpPhase.HELLO, this::onHelo));
            flush();
        } else {
            rejectSession(SmtpPhase.HELLO, reply);
        }
    }

    private void onHelo(SmtpReply reply) {
        if (reply.isPositive()) {
            String name = reply.lines().isEmpty() ? "" : reply.lines().get(0).trim().split(" ", 2)[0];
            afterHello(Capabilities.none(name));
        } else {
            rejectSession(SmtpPhase.HELLO, reply);
        }
    }

    /** After EHLO/HELO: upgrade to TLS if the policy wants it, then authenticate if asked to, then ready. */
    private void afterHello(Capabilities caps) {
        capabilities = caps;
        TlsPolicy policy = options.tls().policy();
        if (tlsInfo == null && (policy == TlsPolicy.REQUIRED || policy == TlsPolicy.OPPORTUNISTIC)) {
            if (caps.startTls()) {
                tlsStartNanos = System.nanoTime();
                write(new DefaultSmtpRequest(STARTTLS),
                        new PendingCommand("STARTTLS", SmtpPhase.STARTTLS, this::onStartTls));
                flush();
                return;
            }
            if (policy == TlsPolicy.REQUIRED) {
                refuseSession(new SmtpTlsException("TLS is required but " + peer() + " does not offer STARTTLS"
                        + (caps.isExtended() ? " (EHLO: " + caps.keywords().keySet() + ")" : " (it refused EHLO)")
                        + "; nothing was sent", null));
                return;
            }
        }
        authenticateOrBecomeReady();
    }

    private void onStartTls(SmtpReply reply) {
        if (reply.code() != 220) {
            if (options.tls().policy() == TlsPolicy.REQUIRED) {
                refuseSession(new SmtpTlsException("TLS is required but " + peer() + " refused STARTTLS: " + reply
                        + "; nothing was sent", null));
            } else {
                authenticateOrBecomeReady(); // opportunistic: go on in plaintext
            }
            return;
        }
        // Anything already received behind the 220 was sent in plaintext, before TLS, and would be read as if
        // it came over TLS: response injection (CVE-2021-22947). Fail instead of starting TLS.
        SmtpClientCodec codec = ctx.pipeline().get(SmtpClientCodec.class);
        int injected = codec == null ? 0 : codec.bufferedBytes();
        if (injected > 0) {
            failSession(report -> new SmtpProtocolException(injected + " byte(s) arrived behind the STARTTLS 220 "
                    + "before TLS started (response injection); the session is closed", report));
            return;
        }
        SslHandler ssl = options.tls().newHandler(ctx.alloc(), peerHost, peerPort);
        ctx.pipeline().addFirst(HandlerNames.TLS, ssl);
        armTimer(SmtpPhase.TLS_HANDSHAKE);
        ssl.handshakeFuture().addListener(f -> onHandshake(ssl, f.cause()));
    }

    private void onHandshake(SslHandler ssl, Throwable cause) {
        if (state == State.CLOSED || state == State.QUITTING) {
            return;
        }
        if (cause != null) {
            failSession(report -> new SmtpTlsException("TLS handshake with " + peer() + " failed: " + describe(cause), cause));
            return;
        }
        tlsHandshakeTime = Duration.ofNanos(System.nanoTime() - tlsStartNanos);
        tlsInfo = TlsInfo.of(ssl.engine().getSession(), options.tls().provider().name());
        if (state == State.GREETING) {
            return; // implicit TLS: now the greeting comes
        }
        // RFC 3207 section 4.2: forget everything learned before TLS and ask again.
        cancelTimer();
        capabilities = null;
        write(new DefaultSmtpRequest(SmtpCommand.EHLO, heloName()), new PendingCommand("EHLO", SmtpPhase.HELLO, this::onEhlo));
        flush();
    }

    private void authenticateOrBecomeReady() {
        Credentials credentials = options.credentials().orElse(null);
        if (credentials == null) {
            becomeReady();
            return;
        }
        if (tlsInfo == null && !options.allowAuthWithoutTls()) {
            refuseSession(new SmtpPolicyException("credentials for " + credentials.username() + " are not sent to "
                    + peer() + " without TLS (allowAuthWithoutTls is off)"));
            return;
        }
        new Authenticator(credentials, capabilities.authMechanisms(), ctx.executor(), this::authCommand, this::authDone).start();
    }

    private void authCommand(SmtpRequest request, java.util.function.Consumer<SmtpReply> onReply) {
        if (state == State.CLOSED || state == State.QUITTING) {
            return;
        }
        write(request, new PendingCommand("AUTH", SmtpPhase.AUTH, onReply));
        flush();
    }

    private void authDone(SmtpException error) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> authDone(error));
            return;
        }
        if (state == State.CLOSED || state == State.QUITTING) {
            return;
        }
        if (error == null) {
            becomeReady();
        } else {
            refuseSession(error);
        }
    }

    private void becomeReady() {
        state = State.READY;
        ready.complete(capabilities);
    }

    /** Ends a session that could not be set up: the readiness fails with {@code error}, then QUIT. */
    private void refuseSession(SmtpException error) {
        failure = error;
        ready.completeExceptionally(error);
        quit();
    }

    private String peer() {
        return peerHost + ":" + peerPort;
    }

    private static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String top = String.valueOf(cause.getMessage());
        String detail = root.getMessage();
        // OpenSSL says only "General OpenSslEngine problem" on top; the reason is further down the chain.
        return root == cause || detail == null || top.contains(detail) ? top : top + " (" + detail + ")";
    }

    private void rejectSession(SmtpPhase phase, SmtpReply reply) {
        refuseSession(new SmtpSessionRejectedException(phase, reply));
    }

    private String heloName() {
        return options.heloName().orElseGet(() -> addressLiteral(ctx.channel().localAddress()));
    }

    static String addressLiteral(SocketAddress local) {
        if (local instanceof InetSocketAddress && ((InetSocketAddress) local).getAddress() != null) {
            java.net.InetAddress address = ((InetSocketAddress) local).getAddress();
            String host = address.getHostAddress();
            if (address instanceof Inet6Address) {
                int scope = host.indexOf('%');
                return "[IPv6:" + (scope < 0 ? host : host.substring(0, scope)) + "]";
            }
            return "[" + host + "]";
        }
        return "localhost";
    }

    private void quit() {
        if (state == State.CLOSED || state == State.QUITTING) {
            return;
        }
        if (state == State.TRANSACTION || serverClosing || !ctx.channel().isActive()) {
            failSession(report -> new SmtpConnectionException("session closed by the client", null, report));
            return;
        }
        if (draining == null) {
            pending.clear();
            cancelTimer();
        } // else QUIT goes behind the end of data, whose reply still decides that message
        if (failure == null) {
            failure = new SmtpConnectionException("session closed by the client", null, null);
        }
        if (!ready.isDone()) {
            ready.completeExceptionally(failure);
        }
        state = State.QUITTING;
        write(new DefaultSmtpRequest(SmtpCommand.QUIT), new PendingCommand("QUIT", SmtpPhase.OTHER_COMMAND, r -> ctx.close()));
        flush();
    }

    // ---------------------------------------------------------------- mail transactions

    private void start(MailTransaction t) {
        if (t.result.isDone()) {
            t.handOff(); // cancelled before it started: nothing was written, the session is as it was
            return;
        }
        if (failure != null || state == State.CLOSED || state == State.QUITTING) {
            t.handOff();
            t.result.completeExceptionally(new SmtpConnectionException(
                    "the session is closed" + (failure == null ? "" : ": " + failure.getMessage()), failure, null));
            return;
        }
        if (state != State.READY) {
            t.handOff();
            t.result.completeExceptionally(new IllegalStateException(
                    state == State.TRANSACTION ? "the session is busy with another message" : "the session is not ready yet"));
            return;
        }
        Envelope envelope = t.envelope;
        try {
            t.params = MailParameters.negotiate(envelope, t.content, capabilities, tlsInfo != null);
        } catch (SmtpPolicyException e) {
            t.handOff();
            t.result.completeExceptionally(e); // nothing was written: the session stays ready
            return;
        }
        t.pipelined = options.pipelining() && capabilities.pipelining();
        t.bdat = options.chunking() && capabilities.chunking();
        tx = t;
        state = State.TRANSACTION;
        t.startedAt = Instant.now();
        t.startNanos = System.nanoTime();
        if (needsReset) {
            needsReset = false;
            write(new DefaultSmtpRequest(SmtpCommand.RSET), new PendingCommand("RSET", SmtpPhase.OTHER_COMMAND, t::onRset));
            if (!t.pipelined) {
                flush();
                return;
            }
        }
        t.sendMail();
        if (t.pipelined) {
            for (int i = 0; i < envelope.recipients().size(); i++) {
                t.sendRcpt(i);
            }
            if (!t.bdat) {
                // DATA ends the group (RFC 2920); with BDAT the content waits for the RCPT replies, so that it
                // is never transmitted when nobody can receive it.
                t.sendData();
            }
        }
        flush();
    }

    /**
     * The caller cancelled {@code t}'s result. Before DATA the transaction is abandoned: the replies still due
     * are read, then RSET, and once the server answered it the session is ready again (and says so through
     * {@code acceptsNext}). Once DATA was written the content cannot be withdrawn, and only closing the
     * connection keeps a partial message from being completed. After the end of data there is nothing left to
     * stop: the final reply is read as usual, with nobody to report it to.
     */
    private void cancel(MailTransaction t) {
        if (tx != t || t.cancelled || t.terminatorSent) {
            return; // not started (start skips it), already over, or only its final reply is due
        }
        t.cancelled = true;
        if (t.dataSent || t.streaming) {
            failSession(report -> new SmtpConnectionException(
                    "the send was cancelled after DATA: the connection is closed so the message is not completed",
                    null, report));
        } else if (pending.isEmpty()) {
            resetAfterCancel(t);
        } // else the transaction's replies still due arrive first (see afterCancelledReply)
    }

    /** A reply to a command of the cancelled {@code t}: once none is due any more, RSET. */
    void afterCancelledReply(MailTransaction t) {
        if (tx == t && pending.isEmpty()) {
            resetAfterCancel(t);
        }
    }

    private void resetAfterCancel(MailTransaction t) {
        write(new DefaultSmtpRequest(SmtpCommand.RSET), new PendingCommand("RSET", SmtpPhase.OTHER_COMMAND, reply -> {
            if (!reply.isPositive()) {
                failSession(report -> new SmtpProtocolException("the server refused RSET: " + reply, report));
                return;
            }
            needsReset = false;
            tx = null;
            if (state == State.TRANSACTION) {
                state = State.READY;
            }
            t.handOff();
        }));
        flush();
    }

    /**
     * The end of data of {@code t} is written (not yet flushed) and the server pipelines: the session takes
     * the next message now; {@code t} awaits its final reply.
     */
    void drain(MailTransaction t) {
        if (tx != t || draining != null) {
            return;
        }
        tx = null;
        draining = t;
        if (state == State.TRANSACTION) {
            state = State.READY;
        }
        t.handOff(); // may start the next transaction right here, behind the end of data
    }

    /** @return true while {@code t} may still take replies: it owns the wire or awaits its final reply */
    boolean isCurrent(MailTransaction t) {
        return tx == t || draining == t;
    }

    void finish(MailTransaction t, SendReport report) {
        if (draining == t) {
            draining = null;
        } else if (tx == t) {
            tx = null;
            t.closeContent(); // a 421 can end the transaction while the content still streams
            if (state == State.TRANSACTION) {
                state = State.READY;
            }
        } else {
            return;
        }
        t.handOff();
        t.result.complete(report);
    }
}
