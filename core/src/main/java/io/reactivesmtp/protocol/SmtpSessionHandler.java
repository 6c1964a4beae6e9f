package io.reactivesmtp.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
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
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * The state machine of one SMTP connection: greeting, EHLO (HELO fallback), STARTTLS and AUTH as asked, then mail
 * transactions one after another, then QUIT. Why this file is over 450 lines: it is the session's state and every
 * transition of it, kept in one place so the lifecycle can be read and checked as a whole (the channel events, the
 * reply dispatch, the failure and closing paths, greeting/EHLO/AUTH/QUIT, and handing the wire from one
 * transaction to the next). What is not a transition lives apart: {@link CommandWire} (pending commands, writes,
 * read-batched flushes), {@link SessionClock}, {@link StartTlsUpgrade}, {@link Transcript}, and
 * {@link MailTransaction} with its {@link ContentStream}.
 *
 * <p>Replies come in reads: the decoder fires every reply of one read, one after the other, then the read
 * completes; what a reply triggers is flushed only when the read completes. Bytes that answer nothing fail the
 * session before anything they could be mistaken for goes out: a reply with no command pending, a reply
 * received in the same read as the command it would answer was queued (the server answered a command it had
 * not seen), and any byte buffered behind the reply to the last pending command (421 aside: RFC 5321 section
 * 3.8 lets a server announce its closing at any time).
 *
 * <p>All state is touched on the channel's event loop only; the public methods hop onto it.
 */
public final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {

    private enum State { GREETING, HELLO, READY, TRANSACTION, QUITTING, CLOSED }

    private final SmtpSessionOptions options;
    private final String peerHost;
    private final int peerPort;
    private final CompletableFuture<Capabilities> ready = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** The session's say over its transactions and its TLS upgrade (one per session). */
    private final Lifecycle lifecycle = new Lifecycle();

    private ChannelHandlerContext ctx;
    /** The pending commands, the writes and the clock; set with the context. */
    private CommandWire wire;
    /** Set with the context. */
    private StartTlsUpgrade tls;
    private State state = State.GREETING;
    private boolean started;
    private Capabilities capabilities;
    private boolean needsReset;
    /** The transaction that owns the wire: its commands or content are being written, or it awaits replies. */
    private MailTransaction tx;
    /**
     * A message whose end of data is written and whose final reply is still due. With PIPELINING the next
     * transaction's commands may already follow it on the wire (RFC 2920 section 3.1: the message content may
     * be the first "command" of a group), so one connection needs one round trip per message.
     */
    private MailTransaction draining;
    private SmtpException failure;
    /** A 421 arrived: the server is closing the connection, so ours is closed without QUIT. */
    private boolean serverClosing;
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
        return tls == null ? null : tls.handshakeTime();
    }

    /** @return what TLS the session runs over, once established; null without TLS */
    public TlsInfo tlsInfo() {
        return tls == null ? null : tls.info();
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
        SendFuture result = new SendFuture();
        CommandWire w = wire; // set on the event loop with ctx; its final fields make it safe to hand over
        MailTransaction t = new MailTransaction(lifecycle, w, options.bdatChunkSize(), envelope, content, result, acceptsNext);
        if (ctx == null || w == null) {
            result.completeExceptionally(new IllegalStateException("the session handler is not in a pipeline"));
            return result;
        }
        result.onCancel(() -> runOnLoop(() -> cancel(t)));
        runOnLoop(() -> start(t));
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
        this.wire = new CommandWire(ctx, options, this::onTimeout, this::failSession);
        this.tls = new StartTlsUpgrade(lifecycle, wire, options.tls(), peerHost, peerPort);
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
                wire.replyRead();
                onReply(msg instanceof DecodedReply ? ((DecodedReply) msg).reply() : SmtpReply.of((SmtpResponse) msg));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (state == State.QUITTING) {
            state = State.CLOSED;
            wire.stopClock();
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
        wire.stopClock();
        closed.complete(null);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof SSLException || c instanceof NotSslRecordException) {
            // The handshake listener reports handshake failures; this covers TLS failing later on.
            failSession(report -> new SmtpTlsException("TLS with " + peer() + " failed: " + StartTlsUpgrade.describe(c), c));
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
        wire.readComplete();
        if (!ctx.channel().config().isAutoRead() && state != State.CLOSED) {
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (tx != null && ctx.channel().isWritable()) {
            tx.onWritable();
        }
        super.channelWritabilityChanged(ctx);
    }

    // ---------------------------------------------------------------- replies and timers

    private void onReply(SmtpReply reply) {
        Transcript.reply(ctx.channel(), reply);
        if (state == State.CLOSED) {
            return;
        }
        PendingCommand head = wire.answer();
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
        if (reply.code() == 421 && state != State.QUITTING) {
            if (tx != null && "MAIL".equals(head.name)) {
                tx.refusedAtMail(reply); // the 421 is the reply to MAIL: the report says so
            }
            onServiceClosing(reply);
            return;
        }
        if (wire.queuedInThisRead(head)) {
            // Received before the command it would answer was even sent (that command waits for the end of
            // this read): it answers nothing. Failing now keeps that command from ever leaving.
            failSession(report -> new SmtpProtocolException("unexpected reply with no command pending: " + reply
                    + " (it came in the same read as the previous reply, before " + head.name + " was sent)", report));
            return;
        }
        String behind = wire.isIdle() ? wire.unexpectedBytesBehind() : null;
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
        if (state != State.CLOSED) {
            wire.timeNextCommand();
        }
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
    private void failSession(Function<SendReport, SmtpException> error) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        wire.stopClock();
        wire.forget();
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

    /** Fails one transaction (see {@link MailTransaction#abort}); the session lets go of it first. */
    private void failTransaction(MailTransaction t, Function<SendReport, SmtpException> error) {
        if (t == tx) {
            tx = null;
        } else if (t == draining) {
            draining = null;
        }
        t.abort(error);
    }

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
            tls.awaitImplicit(implicitTls);
        }
        wire.expect(new PendingCommand("greeting", SmtpPhase.GREETING, this::onGreeting));
    }

    private void onGreeting(SmtpReply reply) {
        if (reply.code() != 220) {
            rejectSession(SmtpPhase.GREETING, reply);
            return;
        }
        state = State.HELLO;
        sendEhlo();
    }

    private void sendEhlo() {
        wire.write(new DefaultSmtpRequest(SmtpCommand.EHLO, heloName()), new PendingCommand("EHLO", SmtpPhase.HELLO, this::onEhlo));
        wire.flush();
    }

    private void onEhlo(SmtpReply reply) {
        if (reply.isPositive()) {
            afterHello(Capabilities.fromEhlo(reply));
        } else if (reply.isPermanentFailure() && tls.info() == null) {
            // RFC 5321 section 3.2: a server that does not know EHLO may still speak HELO.
            wire.write(new DefaultSmtpRequest(SmtpCommand.HELO, heloName()), new PendingCommand("HELO", SmtpPhase.HELLO, this::onHelo));
            wire.flush();
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
        if (!tls.offer(caps)) {
            authenticateOrBecomeReady();
        }
    }

    /** TLS is up. RFC 3207 section 4.2: after STARTTLS, forget everything learned before TLS and ask again. */
    private void secured() {
        if (state == State.GREETING) {
            return; // implicit TLS: now the greeting comes
        }
        wire.cancelTimer();
        capabilities = null;
        sendEhlo();
    }

    private void authenticateOrBecomeReady() {
        Credentials credentials = options.credentials().orElse(null);
        if (credentials == null) {
            becomeReady();
            return;
        }
        if (tls.info() == null && !options.allowAuthWithoutTls()) {
            refuseSession(new SmtpPolicyException("credentials for " + credentials.username() + " are not sent to "
                    + peer() + " without TLS (allowAuthWithoutTls is off)"));
            return;
        }
        new Authenticator(credentials, capabilities.authMechanisms(), ctx.executor(), this::authCommand, this::authDone).start();
    }

    private void authCommand(SmtpRequest request, Consumer<SmtpReply> onReply) {
        if (isOver()) {
            return;
        }
        wire.write(request, new PendingCommand("AUTH", SmtpPhase.AUTH, onReply));
        wire.flush();
    }

    private void authDone(SmtpException error) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> authDone(error));
            return;
        }
        if (isOver()) {
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

    /** @return true once the session is closing or closed */
    private boolean isOver() {
        return state == State.CLOSED || state == State.QUITTING;
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
        if (isOver()) {
            return;
        }
        if (state == State.TRANSACTION || serverClosing || !ctx.channel().isActive()) {
            failSession(report -> new SmtpConnectionException("session closed by the client", null, report));
            return;
        }
        if (draining == null) {
            wire.forget();
        } // else QUIT goes behind the end of data, whose reply still decides that message
        if (failure == null) {
            failure = new SmtpConnectionException("session closed by the client", null, null);
        }
        if (!ready.isDone()) {
            ready.completeExceptionally(failure);
        }
        state = State.QUITTING;
        wire.write(new DefaultSmtpRequest(SmtpCommand.QUIT), new PendingCommand("QUIT", SmtpPhase.OTHER_COMMAND, r -> ctx.close()));
        wire.flush();
    }

    // ---------------------------------------------------------------- mail transactions

    private void start(MailTransaction t) {
        if (t.isDone()) {
            t.handOff(); // cancelled before it started: nothing was written, the session is as it was
            return;
        }
        if (failure != null || isOver()) {
            t.refuse(new SmtpConnectionException(
                    "the session is closed" + (failure == null ? "" : ": " + failure.getMessage()), failure, null));
            return;
        }
        if (state != State.READY) {
            t.refuse(new IllegalStateException(
                    state == State.TRANSACTION ? "the session is busy with another message" : "the session is not ready yet"));
            return;
        }
        try {
            t.negotiate(capabilities, tls.info() != null, options.pipelining() && capabilities.pipelining(),
                    options.chunking() && capabilities.chunking());
        } catch (SmtpPolicyException e) {
            t.refuse(e); // nothing was written: the session stays ready
            return;
        }
        tx = t;
        state = State.TRANSACTION;
        boolean reset = needsReset;
        needsReset = false;
        t.begin(reset);
    }

    /**
     * The caller cancelled {@code t}'s result (see {@link MailTransaction#cancel}). Once the server answered the
     * RSET of an abandoned transaction the session is ready again (and says so through {@code acceptsNext}).
     */
    private void cancel(MailTransaction t) {
        if (tx == t) {
            t.cancel(); // else not started (start skips it) or already over
        }
    }

    /** A reply to a command of the cancelled {@code t}: once none is due any more, RSET. */
    private void afterCancelledReply(MailTransaction t) {
        if (tx == t && wire.isIdle()) {
            resetAfterCancel(t);
        }
    }

    private void resetAfterCancel(MailTransaction t) {
        wire.write(new DefaultSmtpRequest(SmtpCommand.RSET), new PendingCommand("RSET", SmtpPhase.OTHER_COMMAND, reply -> {
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
        wire.flush();
    }

    /**
     * The end of data of {@code t} is written (not yet flushed) and the server pipelines: the session takes
     * the next message now; {@code t} awaits its final reply.
     */
    private void drain(MailTransaction t) {
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

    private void finish(MailTransaction t, SendReport report) {
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
        t.complete(report);
    }


    /** The session as its transactions and its TLS upgrade see it. */
    private final class Lifecycle implements MailTransaction.Session, StartTlsUpgrade.Session {

        @Override
        public void needsReset() {
            needsReset = true;
        }

        @Override
        public boolean owns(MailTransaction t) {
            return tx == t;
        }

        @Override
        public boolean isCurrent(MailTransaction t) {
            return tx == t || draining == t;
        }

        @Override
        public void finish(MailTransaction t, SendReport report) {
            SmtpSessionHandler.this.finish(t, report);
        }

        @Override
        public void drain(MailTransaction t) {
            SmtpSessionHandler.this.drain(t);
        }

        @Override
        public void afterCancelledReply(MailTransaction t) {
            SmtpSessionHandler.this.afterCancelledReply(t);
        }

        @Override
        public SendReport.Builder reportBuilder() {
            return SendReport.builder()
                    .serverAddress(ctx.channel().remoteAddress())
                    .capabilities(capabilities)
                    .tls(tls.info());
        }

        @Override
        public ChannelPipeline pipeline() {
            return ctx.pipeline();
        }

        @Override
        public boolean isOver() {
            return SmtpSessionHandler.this.isOver();
        }

        @Override
        public void refuse(SmtpException error) {
            refuseSession(error);
        }

        @Override
        public void withoutTls() {
            authenticateOrBecomeReady();
        }

        @Override
        public void secured() {
            SmtpSessionHandler.this.secured();
        }
    }
}
