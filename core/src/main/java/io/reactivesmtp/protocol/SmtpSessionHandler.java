package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpContentException;
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
import java.util.ArrayList;
import java.util.List;
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
 * <p>All state is touched on the channel's event loop only; the public methods hop onto it.
 */
public final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {

    private enum State { GREETING, HELLO, READY, TRANSACTION, QUITTING, CLOSED }

    /** Netty's SmtpCommand has no constants for RFC 3207's and RFC 3030's verbs. */
    private static final SmtpCommand STARTTLS = SmtpCommand.valueOf("STARTTLS");
    private static final SmtpCommand BDAT = SmtpCommand.valueOf("BDAT");

    /**
     * The SMTP dialogue, one line per command and reply, at DEBUG (through whatever logging Netty binds to,
     * SLF4J when present). AUTH arguments and continuation lines are redacted; content is never logged.
     */
    private static final InternalLogger TRANSCRIPT = InternalLoggerFactory.getInstance("io.reactivesmtp.transcript");

    private static boolean hasEightBit(ByteBuf buf) {
        return buf.isReadable() && buf.forEachByte(b -> b >= 0) >= 0;
    }

    private final SmtpSessionOptions options;
    private final String peerHost;
    private final int peerPort;
    private final CompletableFuture<Capabilities> ready = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final ArrayDeque<PendingCommand> pending = new ArrayDeque<>();

    private ChannelHandlerContext ctx;
    private State state = State.GREETING;
    private boolean started;
    private Capabilities capabilities;
    private ScheduledFuture<?> timer;
    private boolean needsReset;
    private Transaction tx;
    private SmtpException failure;
    private TlsInfo tlsInfo;

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
     * @return true when the session can carry another message now: greeted, idle, connection open, no failure
     *     (read from any thread; a pool's quick check)
     */
    public boolean isReusable() {
        ChannelHandlerContext c = ctx;
        return c != null && c.channel().isActive() && state == State.READY && failure == null;
    }

    /** @return the capabilities, once {@link #ready()} has completed; null before */
    public Capabilities capabilities() {
        return capabilities;
    }

    /** @return what TLS the session runs over, once established; null without TLS */
    public TlsInfo tlsInfo() {
        return tlsInfo;
    }

    /**
     * Sends one message in a mail transaction. The session must be ready and idle: one transaction at a time.
     *
     * @param envelope who sends and who receives
     * @param content the message bytes
     * @return the report, or an {@link SmtpException} when no verdict could be had
     */
    public CompletableFuture<SendReport> send(Envelope envelope, MessageContent content) {
        CompletableFuture<SendReport> result = new CompletableFuture<>();
        Transaction t = new Transaction(envelope, content, result);
        if (ctx == null) {
            result.completeExceptionally(new IllegalStateException("the session handler is not in a pipeline"));
            return result;
        }
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
            cancelTimer();
        } else {
            String where = tx != null ? " during the transaction" : state == State.READY ? " while idle" : "";
            failSession(report -> new SmtpConnectionException(
                    "connection closed by the server" + where, null, report));
        }
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
                        "reply with no command pending: " + reply, report));
            }
            return;
        }
        cancelTimer();
        if (reply.code() == 421 && state != State.QUITTING) {
            onServiceClosing(reply);
            return;
        }
        head.onReply.accept(reply);
        if (state != State.CLOSED && !pending.isEmpty() && timer == null) {
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

    private void armTimer(SmtpPhase phase) {
        cancelTimer();
        Duration timeout = options.timeout(phase);
        timer = ctx.executor().schedule(() -> onTimeout(phase, timeout), timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onTimeout(SmtpPhase phase, Duration timeout) {
        timer = null;
        if (state == State.QUITTING) {
            ctx.close();
            return;
        }
        failSession(report -> new SmtpTimeoutException(phase, timeout, report));
    }

    /** 421: the server is closing the session. A transaction in progress gets a transient verdict. */
    private void onServiceClosing(SmtpReply reply) {
        if (tx != null) {
            Transaction t = tx;
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
        cancelTimer();
        pending.clear();
        SmtpException sessionError = error.apply(null);
        failure = sessionError;
        Transaction t = tx;
        tx = null;
        if (t != null) {
            t.closeContent();
            SendReport partial = t.report(null);
            SmtpException txError = t.terminatorSent
                    ? new SmtpUnknownOutcomeException("the message was sent but its outcome is unknown: "
                            + sessionError.getMessage(), sessionError, partial)
                    : error.apply(partial);
            t.result.completeExceptionally(txError);
        }
        if (!ready.isDone()) {
            ready.completeExceptionally(sessionError);
        }
        ctx.close();
    }

    private void write(Object message, PendingCommand command) {
        if (TRANSCRIPT.isDebugEnabled() && message instanceof SmtpRequest) {
            TRANSCRIPT.debug("{} C: {}", ctx.channel().id().asShortText(), redacted((SmtpRequest) message, command));
        }
        pending.add(command);
        if (pending.size() == 1) {
            armTimer(command.phase);
        }
        ctx.write(message).addListener(writeFailure);
    }

    private final ChannelFutureListener writeFailure = f -> {
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
        ctx.flush();
    }

    private void onEhlo(SmtpReply reply) {
        if (reply.isPositive()) {
            afterHello(Capabilities.fromEhlo(reply));
        } else if (reply.isPermanentFailure() && tlsInfo == null) {
            // RFC 5321 section 3.2: a server that does not know EHLO may still speak HELO.
            write(new DefaultSmtpRequest(SmtpCommand.HELO, heloName()), new PendingCommand("HELO", SmtpPhase.HELLO, this::onHelo));
            ctx.flush();
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
                write(new DefaultSmtpRequest(STARTTLS),
                        new PendingCommand("STARTTLS", SmtpPhase.STARTTLS, this::onStartTls));
                ctx.flush();
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
        tlsInfo = TlsInfo.of(ssl.engine().getSession(), options.tls().provider().name());
        if (state == State.GREETING) {
            return; // implicit TLS: now the greeting comes
        }
        // RFC 3207 section 4.2: forget everything learned before TLS and ask again.
        cancelTimer();
        capabilities = null;
        write(new DefaultSmtpRequest(SmtpCommand.EHLO, heloName()), new PendingCommand("EHLO", SmtpPhase.HELLO, this::onEhlo));
        ctx.flush();
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
        ctx.flush();
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
        return root == cause ? String.valueOf(cause.getMessage()) : cause.getMessage() + " (" + root.getMessage() + ")";
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
        if (state == State.TRANSACTION || !ctx.channel().isActive()) {
            failSession(report -> new SmtpConnectionException("session closed by the client", null, report));
            return;
        }
        pending.clear();
        cancelTimer();
        if (failure == null) {
            failure = new SmtpConnectionException("session closed by the client", null, null);
        }
        if (!ready.isDone()) {
            ready.completeExceptionally(failure);
        }
        state = State.QUITTING;
        write(new DefaultSmtpRequest(SmtpCommand.QUIT), new PendingCommand("QUIT", SmtpPhase.OTHER_COMMAND, r -> ctx.close()));
        ctx.flush();
    }

    // ---------------------------------------------------------------- mail transactions

    private void start(Transaction t) {
        if (failure != null || state == State.CLOSED || state == State.QUITTING) {
            t.result.completeExceptionally(new SmtpConnectionException(
                    "the session is closed" + (failure == null ? "" : ": " + failure.getMessage()), failure, null));
            return;
        }
        if (state != State.READY) {
            t.result.completeExceptionally(new IllegalStateException(
                    state == State.TRANSACTION ? "the session is busy with another message" : "the session is not ready yet"));
            return;
        }
        Envelope envelope = t.envelope;
        try {
            t.params = MailParameters.negotiate(envelope, t.content, capabilities, tlsInfo != null);
        } catch (SmtpPolicyException e) {
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
                ctx.flush();
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
        ctx.flush();
    }

    private void finish(Transaction t, SendReport report) {
        if (tx != t) {
            return;
        }
        tx = null;
        t.closeContent(); // a 421 can end the transaction while the content still streams
        if (state == State.TRANSACTION) {
            state = State.READY;
        }
        t.result.complete(report);
    }

    /** One message on its way: the replies collected so far and the content being streamed. */
    private final class Transaction implements ContentReceiver {
        final Envelope envelope;
        final MessageContent content;
        final CompletableFuture<SendReport> result;
        final SmtpReply[] rcptReplies;
        SmtpReply mailReply;
        SmtpReply dataReply;
        int accepted;
        boolean pipelined;
        boolean bdat;
        MailParameters params;
        int chunksInFlight;
        boolean awaitingChunkReply;
        boolean streaming;
        boolean awaitingWritability;
        boolean terminatorSent;
        ContentSource source;
        DotStuffer stuffer;
        Instant startedAt = Instant.now();
        long startNanos = System.nanoTime();

        Transaction(Envelope envelope, MessageContent content, CompletableFuture<SendReport> result) {
            this.envelope = envelope;
            this.content = content;
            this.result = result;
            this.rcptReplies = new SmtpReply[envelope.recipients().size()];
        }


        void onRset(SmtpReply reply) {
            if (!reply.isPositive()) {
                failSession(report -> new SmtpProtocolException("the server refused RSET: " + reply, report));
            } else if (!pipelined) {
                sendMail();
                ctx.flush();
            }
        }

        void sendMail() {
            List<CharSequence> args = new ArrayList<>();
            args.add("FROM:" + envelope.sender().map(params::path).orElse("<>"));
            args.addAll(params.mail);
            write(new DefaultSmtpRequest(SmtpCommand.MAIL, args.toArray(new CharSequence[0])), new PendingCommand("MAIL", SmtpPhase.MAIL, this::onMail));
        }

        void sendRcpt(int i) {
            MailAddress to = envelope.recipients().get(i);
            List<CharSequence> args = new ArrayList<>();
            args.add("TO:" + params.path(to));
            args.addAll(params.rcpt(to));
            write(new DefaultSmtpRequest(SmtpCommand.RCPT, args.toArray(new CharSequence[0])),
                    new PendingCommand("RCPT", SmtpPhase.RCPT, reply -> onRcpt(i, reply)));
        }

        void sendData() {
            write(new DefaultSmtpRequest(SmtpCommand.DATA), new PendingCommand("DATA", SmtpPhase.DATA_INITIATION, this::onData));
        }

        void onMail(SmtpReply reply) {
            mailReply = reply;
            if (pipelined) {
                return; // the RCPT and DATA replies are on their way; the DATA reply ends the group
            }
            if (reply.isPositive()) {
                sendRcpt(0);
                ctx.flush();
            } else {
                finish(this, report(null));
            }
        }

        void onRcpt(int i, SmtpReply reply) {
            rcptReplies[i] = reply;
            if (reply.isPositive()) {
                accepted++;
            }
            if (pipelined && !bdat) {
                return; // the DATA reply decides
            }
            if (!pipelined && i + 1 < rcptReplies.length) {
                sendRcpt(i + 1);
                ctx.flush();
            } else if (i + 1 < rcptReplies.length) {
                return; // pipelined BDAT: wait for the last RCPT reply
            } else if (accepted > 0 && mailReply != null && mailReply.isPositive()) {
                if (bdat) {
                    startContent();
                } else {
                    sendData();
                    ctx.flush();
                }
            } else if (mailReply != null && !mailReply.isPositive()) {
                finish(this, report(null)); // pipelined BDAT after a refused MAIL: no transaction to reset
            } else {
                needsReset = true; // MAIL was accepted: the server holds an open transaction
                finish(this, report(null));
            }
        }

        void onData(SmtpReply reply) {
            if (reply.code() == 354) {
                if (accepted > 0 && mailReply != null && mailReply.isPositive()) {
                    startContent();
                } else {
                    // Pipelined DATA got 354 although nobody can receive the message: end it empty,
                    // never transmit the content (RFC 2920 section 3.1).
                    write(Unpooled.wrappedBuffer(new byte[] {'.', '\r', '\n'}), new PendingCommand("end of data", SmtpPhase.DATA_TERMINATION, r -> {
                        dataReply = r;
                        finish(this, report(null));
                    }));
                    ctx.flush();
                }
                return;
            }
            if (mailReply != null && mailReply.isPositive()) {
                needsReset = true;
            }
            if (accepted > 0) {
                dataReply = reply;
            }
            finish(this, report(null));
        }

        // -------- content streaming: one chunk in flight; the next is pulled when the write completed
        // and the channel is writable, so a slow server slows the source instead of filling memory.

        void startContent() {
            streaming = true;
            stuffer = new DotStuffer(!bdat);
            try {
                source = content.open();
            } catch (RuntimeException e) {
                onError(e);
                return;
            }
            pull();
        }

        void pull() {
            awaitingWritability = false;
            if (tx != this || !streaming) {
                return;
            }
            // BDAT pipelines at most two chunks (one without PIPELINING): a refused chunk wastes little.
            if (bdat && chunksInFlight >= (pipelined ? 2 : 1)) {
                awaitingChunkReply = true;
                return;
            }
            source.next(ctx.alloc(), this);
        }

        @Override
        public void onChunk(ByteBuf chunk) {
            if (!ctx.executor().inEventLoop()) {
                ctx.executor().execute(() -> onChunk(chunk));
                return;
            }
            if (tx != this || !streaming) {
                chunk.release();
                return;
            }
            ByteBuf encoded = stuffer.encode(chunk, ctx.alloc());
            if (params.watchEightBit && hasEightBit(encoded)) {
                encoded.release();
                streaming = false;
                failSession(report -> new SmtpContentException("the message has 8-bit content but the server does not "
                        + "offer 8BITMIME (RFC 6152); the send was abandoned before its end, so nothing was delivered; "
                        + "declare the content's body type or encode it as 7-bit", null, report));
                return;
            }
            if (!encoded.isReadable()) {
                encoded.release();
                ctx.executor().execute(this::pull);
                return;
            }
            if (bdat) {
                writeChunks(encoded);
            }
            armTimer(SmtpPhase.DATA_BLOCK);
            ctx.writeAndFlush(encoded).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    writeFailure.operationComplete(f);
                    return;
                }
                if (tx != this || !streaming) {
                    return;
                }
                // The block is out: from now on the clock runs for the oldest unanswered command, if any.
                cancelTimer();
                if (!pending.isEmpty()) {
                    armTimer(pending.peek().phase);
                }
                if (ctx.channel().isWritable()) {
                    // A task, not a call: a synchronous source would otherwise recurse once per chunk.
                    ctx.executor().execute(this::pull);
                } else {
                    awaitingWritability = true;
                }
            });
        }

        /**
         * Writes the BDAT commands for {@code encoded} (the caller writes the bytes): one per slice of at most
         * bdatChunkSize bytes, each queued for its reply. The bytes follow their command with no separator.
         */
        private void writeChunks(ByteBuf encoded) {
            int max = options.bdatChunkSize();
            int remaining = encoded.readableBytes();
            while (remaining > max) {
                // All but the last slice: command and bytes together; the last slice's bytes the caller writes.
                chunksInFlight++;
                write(new DefaultSmtpRequest(BDAT, Integer.toString(max)),
                        new PendingCommand("BDAT", SmtpPhase.DATA_BLOCK, this::onChunkReply));
                ctx.write(encoded.readRetainedSlice(max)).addListener(writeFailure);
                remaining -= max;
            }
            chunksInFlight++;
            write(new DefaultSmtpRequest(BDAT, Integer.toString(remaining)),
                    new PendingCommand("BDAT", SmtpPhase.DATA_BLOCK, this::onChunkReply));
        }

        void onChunkReply(SmtpReply reply) {
            chunksInFlight--;
            if (tx != this) {
                return; // an earlier chunk was refused: the transaction is over
            }
            if (!reply.isPositive()) {
                // RFC 3030 section 4.2: a refused chunk ends the transfer; the transaction needs a reset.
                dataReply = reply;
                needsReset = true;
                finish(this, report(null));
                return;
            }
            if (awaitingChunkReply) {
                awaitingChunkReply = false;
                pull();
            }
        }

        @Override
        public void onEnd() {
            if (!ctx.executor().inEventLoop()) {
                ctx.executor().execute(this::onEnd);
                return;
            }
            if (tx != this || !streaming) {
                return;
            }
            streaming = false;
            closeContent();
            ByteBuf tail = stuffer.finish(ctx.alloc());
            if (params.watchEightBit && hasEightBit(tail)) {
                tail.release();
                failSession(report -> new SmtpContentException("the message has 8-bit content but the server does "
                        + "not offer 8BITMIME (RFC 6152); the send was abandoned", null, report));
                return;
            }
            terminatorSent = true;
            cancelTimer();
            if (bdat) {
                // BDAT n LAST (BDAT 0 LAST for an empty tail) ends the content; its reply is the verdict.
                write(new DefaultSmtpRequest(BDAT, Integer.toString(tail.readableBytes()), "LAST"),
                        new PendingCommand("BDAT LAST", SmtpPhase.DATA_TERMINATION, this::onDataEnd));
                ctx.write(tail).addListener(writeFailure);
            } else {
                write(tail, new PendingCommand("end of data", SmtpPhase.DATA_TERMINATION, this::onDataEnd));
            }
            ctx.flush();
        }

        @Override
        public void onError(Throwable error) {
            if (!ctx.executor().inEventLoop()) {
                ctx.executor().execute(() -> onError(error));
                return;
            }
            if (tx != this || !streaming) {
                return;
            }
            streaming = false;
            // Closing without the final dot makes the server discard the partial message.
            failSession(report -> new SmtpContentException(
                    "the message content failed while sending: " + error, error, report));
        }

        void closeContent() {
            streaming = false;
            if (source != null) {
                source.close();
            }
        }

        void onDataEnd(SmtpReply reply) {
            if (tx != this) {
                return; // a refused BDAT chunk already ended the transaction
            }
            dataReply = reply;
            finish(this, report(null));
        }

        /**
         * The report as far as the replies go. {@code fallback} is the verdict for recipients that have none
         * yet (a 421); without it they are UNDETERMINED.
         */
        SendReport report(SmtpReply fallback) {
            SendReport.Builder b = SendReport.builder()
                    .envelope(envelope)
                    .mailReply(mailReply)
                    .dataReply(dataReply)
                    .serverAddress(ctx.channel().remoteAddress())
                    .capabilities(capabilities)
                    .tls(tlsInfo)
                    .startedAt(startedAt)
                    .duration(Duration.ofNanos(System.nanoTime() - startNanos));
            List<MailAddress> recipients = envelope.recipients();
            for (int i = 0; i < recipients.size(); i++) {
                MailAddress to = recipients.get(i);
                SmtpReply rcpt = rcptReplies[i];
                SmtpReply verdict;
                if (mailReply != null && !mailReply.isPositive()) {
                    verdict = mailReply;
                } else if (rcpt != null && !rcpt.isPositive()) {
                    verdict = rcpt;
                } else if (rcpt != null && dataReply != null) {
                    verdict = dataReply;
                } else {
                    verdict = fallback;
                }
                b.recipient(verdict == null ? RecipientResult.undetermined(to, rcpt) : RecipientResult.decided(to, verdict, rcpt));
            }
            return b.build();
        }
    }
}
