package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.util.concurrent.EventExecutor;
import io.reactivesmtp.Capabilities;
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
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One message on its way through a session: the envelope's commands, the content being streamed, the replies
 * collected so far. It runs on the session's event loop and reaches the session only through its
 * {@link SessionWire} and {@link Session}.
 */
final class MailTransaction implements ContentReceiver {

    /** Netty's SmtpCommand has no constant for RFC 3030's verb. */
    private static final SmtpCommand BDAT = SmtpCommand.valueOf("BDAT");

    /** Where the transaction stands; callbacks that come in a phase where they mean nothing are dropped. */
    enum Phase {
        /** MAIL and RCPT: nothing of the content is written. */
        ENVELOPE,
        /** Cancelled during ENVELOPE: the replies still due are read, then the session resets. */
        CANCELLED,
        /** DATA is written (pipelined, possibly before the RCPT replies): the content can no longer be withdrawn. */
        DATA_SENT,
        /** The content is pulled from its source, encoded and written, one block at a time. */
        STREAMING,
        /** The content stopped before its end: the source failed, the content was refused, or the transaction ended. */
        STOPPED,
        /** BDAT: the source ended; what is gathered goes out as the bound allows, then BDAT LAST. */
        CONTENT_ENDED,
        /** The end of data is written: only the final reply is due, and a failure leaves the outcome unknown. */
        ENDED
    }

    /** What a transaction needs of its session beyond the wire: the session's say in how it ends. */
    interface Session {
        /** The server holds an open mail transaction: the next one starts with RSET. */
        void needsReset();

        /** @return true while {@code t} owns the wire (its commands or content are being written) */
        boolean owns(MailTransaction t);

        /** @return true while {@code t} may still take replies: it owns the wire or awaits its final reply */
        boolean isCurrent(MailTransaction t);

        /** {@code t} has its verdict: the session lets go of it and reports. */
        void finish(MailTransaction t, SendReport report);

        /** The end of data of {@code t} is written and the server pipelines: the next message may start. */
        void drain(MailTransaction t);

        /** A reply to a command of the cancelled {@code t}: once none is due any more, the session resets. */
        void afterCancelledReply(MailTransaction t);

        /** @return a report builder with what the session knows: server address, capabilities, TLS */
        SendReport.Builder reportBuilder();
    }

    static boolean hasEightBit(ByteBuf buf) {
        return buf.isReadable() && buf.forEachByte(b -> b >= 0) >= 0;
    }

    private final Session session;
    private final SessionWire wire;
    private final Envelope envelope;
    private final MessageContent content;
    private final CompletableFuture<SendReport> result;
    private final int chunkSize;
    private final SmtpReply[] rcptReplies;
    private SmtpReply mailReply;
    private SmtpReply dataReply;
    private int accepted;
    /** Decided when the transaction begins: commands go out in groups (RFC 2920), content as chunks (RFC 3030). */
    private boolean pipelined;
    private boolean bdat;
    private MailParameters params;
    private Phase phase = Phase.ENVELOPE;
    /** A block is out but the channel was not writable: the next pull waits for writability. */
    private boolean awaitingWritability;
    /** BDAT: the bound of unanswered chunks is reached; the next pull waits for a chunk's reply. */
    private boolean awaitingChunkReply;
    private int chunksInFlight;
    private ContentSource source;
    /**
     * Encoded content not yet sent: DATA holds the latest chunk (it goes out with the terminator if it is the
     * last); BDAT gathers at most one chunk's worth (a composite of the encoded pieces).
     */
    private ByteBuf held;
    private DotStuffer stuffer;
    private Instant startedAt = Instant.now();
    private long startNanos = System.nanoTime();
    /** Run once when the session can take the next message; null once run. */
    private Runnable acceptsNext;

    MailTransaction(Session session, SessionWire wire, int chunkSize, Envelope envelope, MessageContent content,
                    CompletableFuture<SendReport> result, Runnable acceptsNext) {
        this.session = session;
        this.wire = wire;
        this.chunkSize = chunkSize;
        this.envelope = envelope;
        this.content = content;
        this.result = result;
        this.acceptsNext = acceptsNext;
        this.rcptReplies = new SmtpReply[envelope.recipients().size()];
    }

    /** @return true once the result is complete (it may have been cancelled before the transaction began) */
    boolean isDone() {
        return result.isDone();
    }

    /** Tells the caller (once) that the session can take its next message. */
    void handOff() {
        Runnable r = acceptsNext;
        acceptsNext = null;
        if (r != null) {
            r.run();
        }
    }

    /** Fails the transaction before it began: nothing was written. */
    void refuse(Throwable error) {
        handOff();
        result.completeExceptionally(error);
    }

    /**
     * Decides what the transaction may use of the session.
     *
     * @throws SmtpPolicyException when the message needs what the server does not offer (nothing is written)
     */
    void negotiate(Capabilities capabilities, boolean tls, boolean pipelined, boolean bdat) throws SmtpPolicyException {
        params = MailParameters.negotiate(envelope, content, capabilities, tls);
        this.pipelined = pipelined;
        this.bdat = bdat;
    }

    /** Writes the first commands: RSET first if the session holds a transaction, then MAIL (RCPT, DATA with PIPELINING). */
    void begin(boolean reset) {
        startedAt = Instant.now();
        startNanos = System.nanoTime();
        if (reset) {
            wire.write(new DefaultSmtpRequest(SmtpCommand.RSET), new PendingCommand("RSET", SmtpPhase.OTHER_COMMAND, this::onRset));
            if (!pipelined) {
                wire.flush();
                return;
            }
        }
        sendMail();
        if (pipelined) {
            for (int i = 0; i < rcptReplies.length; i++) {
                sendRcpt(i);
            }
            if (!bdat) {
                // DATA ends the group (RFC 2920); with BDAT the content waits for the RCPT replies, so that it
                // is never transmitted when nobody can receive it.
                sendData();
            }
        }
        wire.flush();
    }

    /**
     * The caller cancelled the result while the transaction owns the wire. Before DATA the transaction is
     * abandoned: the replies still due are read, then RSET. Once DATA (or a BDAT chunk) was written the content
     * cannot be withdrawn, and only closing the connection keeps a partial message from being completed. After
     * the end of data there is nothing left to stop: the final reply is read as usual, with nobody to report it to.
     */
    void cancel() {
        switch (phase) {
            case ENVELOPE:
                phase = Phase.CANCELLED;
                session.afterCancelledReply(this);
                break;
            case DATA_SENT:
            case STREAMING:
            case CONTENT_ENDED:
                wire.fail(report -> new SmtpConnectionException(
                        "the send was cancelled after DATA: the connection is closed so the message is not completed",
                        null, report));
                break;
            default:
                break; // already cancelled, stopped, or only its final reply is due
        }
    }

    private void onRset(SmtpReply reply) {
        if (!reply.isPositive()) {
            wire.fail(report -> new SmtpProtocolException("the server refused RSET: " + reply, report));
        } else if (phase == Phase.CANCELLED) {
            session.afterCancelledReply(this);
        } else if (!pipelined) {
            sendMail();
            wire.flush();
        }
    }

    private void sendMail() {
        List<CharSequence> args = new ArrayList<>();
        args.add("FROM:" + envelope.sender().map(params::path).orElse("<>"));
        args.addAll(params.mail);
        wire.write(new DefaultSmtpRequest(SmtpCommand.MAIL, args.toArray(new CharSequence[0])), new PendingCommand("MAIL", SmtpPhase.MAIL, this::onMail));
    }

    private void sendRcpt(int i) {
        MailAddress to = envelope.recipients().get(i);
        List<CharSequence> args = new ArrayList<>();
        args.add("TO:" + params.path(to));
        args.addAll(params.rcpt(to));
        wire.write(new DefaultSmtpRequest(SmtpCommand.RCPT, args.toArray(new CharSequence[0])),
                new PendingCommand("RCPT", SmtpPhase.RCPT, reply -> onRcpt(i, reply)));
    }

    private void sendData() {
        phase = Phase.DATA_SENT;
        wire.write(new DefaultSmtpRequest(SmtpCommand.DATA), new PendingCommand("DATA", SmtpPhase.DATA_INITIATION, this::onData));
    }

    private void onMail(SmtpReply reply) {
        mailReply = reply;
        if (phase == Phase.CANCELLED) {
            session.afterCancelledReply(this);
            return;
        }
        if (pipelined) {
            return; // the RCPT and DATA replies are on their way; the DATA reply ends the group
        }
        if (reply.isPositive()) {
            sendRcpt(0);
            wire.flush();
        } else {
            session.finish(this, report(null));
        }
    }

    private void onRcpt(int i, SmtpReply reply) {
        rcptReplies[i] = reply;
        if (reply.isPositive()) {
            accepted++;
        }
        if (phase == Phase.CANCELLED) {
            session.afterCancelledReply(this);
            return;
        }
        if (pipelined && !bdat) {
            return; // the DATA reply decides
        }
        if (!pipelined && i + 1 < rcptReplies.length) {
            sendRcpt(i + 1);
            wire.flush();
        } else if (i + 1 < rcptReplies.length) {
            return; // pipelined BDAT: wait for the last RCPT reply
        } else if (accepted > 0 && mailReply != null && mailReply.isPositive()) {
            if (bdat) {
                startContent();
            } else {
                sendData();
                wire.flush();
            }
        } else if (mailReply != null && !mailReply.isPositive()) {
            session.finish(this, report(null)); // pipelined BDAT after a refused MAIL: no transaction to reset
        } else {
            session.needsReset(); // MAIL was accepted: the server holds an open transaction
            session.finish(this, report(null));
        }
    }

    private void onData(SmtpReply reply) {
        if (reply.code() == 354) {
            if (accepted > 0 && mailReply != null && mailReply.isPositive()) {
                startContent();
            } else {
                // Pipelined DATA got 354 although nobody can receive the message: end it empty,
                // never transmit the content (RFC 2920 section 3.1).
                wire.write(Unpooled.wrappedBuffer(new byte[] {'.', '\r', '\n'}), new PendingCommand("end of data", SmtpPhase.DATA_TERMINATION, r -> {
                    dataReply = r;
                    session.finish(this, report(null));
                }));
                wire.flush();
            }
            return;
        }
        if (mailReply != null && mailReply.isPositive()) {
            session.needsReset();
        }
        if (accepted > 0) {
            dataReply = reply;
        }
        session.finish(this, report(null));
    }

    // -------- content streaming: one chunk in flight; the next is pulled when the write completed
    // and the channel is writable, so a slow server slows the source instead of filling memory.

    private void startContent() {
        phase = Phase.STREAMING;
        stuffer = new DotStuffer(!bdat);
        try {
            source = content.open();
        } catch (RuntimeException e) {
            onError(e);
            return;
        }
        pull();
    }

    /** The channel became writable again: the next pull, if it waits for that. */
    void onWritable() {
        if (awaitingWritability) {
            pull();
        }
    }

    private void pull() {
        awaitingWritability = false;
        if (!session.owns(this)) {
            return;
        }
        if (bdat && (phase == Phase.CONTENT_ENDED || phase == Phase.ENDED || held != null && held.readableBytes() > chunkSize)) {
            // Chunks already encoded go first, as far as the bound allows; the source waits until they are out.
            ChannelFuture written = writeBdatChunks();
            if (written != null) {
                wire.flush();
                afterBlock(written);
            } else if (phase != Phase.ENDED) {
                awaitingChunkReply = true;
            }
            return;
        }
        if (phase != Phase.STREAMING) {
            return;
        }
        // BDAT pipelines at most two chunks (one without PIPELINING): a refused chunk wastes little.
        if (bdat && chunksInFlight >= bdatBound()) {
            awaitingChunkReply = true;
            return;
        }
        source.next(wire.alloc(), this);
    }

    private int bdatBound() {
        return pipelined ? 2 : 1;
    }

    @Override
    public void onChunk(ByteBuf chunk) {
        EventExecutor loop = wire.executor();
        if (!loop.inEventLoop()) {
            loop.execute(() -> onChunk(chunk));
            return;
        }
        if (!session.owns(this) || phase != Phase.STREAMING) {
            chunk.release();
            return;
        }
        ByteBuf encoded = stuffer.encode(chunk, wire.alloc());
        if (params.watchEightBit && hasEightBit(encoded)) {
            encoded.release();
            phase = Phase.STOPPED;
            wire.fail(report -> new SmtpContentException("the message has 8-bit content but the server does not "
                    + "offer 8BITMIME (RFC 6152); the send was abandoned before its end, so nothing was delivered; "
                    + "declare the content's body type or encode it as 7-bit", null, report));
            return;
        }
        if (!encoded.isReadable()) {
            encoded.release();
            loop.execute(this::pull);
            return;
        }
        ChannelFuture written;
        if (bdat) {
            gather(encoded);
            written = writeBdatChunks();
            if (written == null) {
                loop.execute(this::pull); // still gathering the next chunk, or waiting for a reply
                return;
            }
            wire.flush();
        } else {
            // One chunk is held back: the last one then leaves with the terminator in a single write, so a
            // message that fits in one chunk costs one write instead of two.
            ByteBuf previous = held;
            held = encoded;
            if (previous == null) {
                loop.execute(this::pull);
                return;
            }
            written = wire.writeContent(previous);
            wire.flush();
        }
        afterBlock(written);
    }

    /** Times a block being written and, once it is out, asks for the next one (or waits for writability). */
    private void afterBlock(ChannelFuture written) {
        wire.armTimer(SmtpPhase.DATA_BLOCK);
        written.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || !session.owns(this) || phase != Phase.STREAMING && phase != Phase.CONTENT_ENDED) {
                return; // a failed write already failed the session
            }
            // The block is out: from now on the clock runs for the oldest unanswered command, if any.
            wire.timeOldestCommand();
            if (wire.isWritable()) {
                // A task, not a call: a synchronous source would otherwise recurse once per chunk.
                wire.executor().execute(this::pull);
            } else {
                awaitingWritability = true;
            }
        });
    }

    /** BDAT: adds an encoded piece to what is gathered for the next chunks (no copy: a composite of pieces). */
    private void gather(ByteBuf piece) {
        if (held == null) {
            held = wire.alloc().compositeBuffer(64);
        }
        ((CompositeByteBuf) held).addComponent(true, piece);
    }

    /**
     * BDAT: writes chunks of exactly chunkSize bytes from what is gathered while fewer than the bound are
     * unanswered, keeping at least one chunk's worth back until the content ends; once it ended and the rest fits
     * in one chunk, writes it as BDAT n LAST (BDAT 0 LAST for an empty content), so a message that fits in one
     * chunk costs one command.
     *
     * @return the write of the last chunk written, or null if none could go now
     */
    private ChannelFuture writeBdatChunks() {
        ChannelFuture last = null;
        while (held != null && held.readableBytes() > chunkSize && chunksInFlight < bdatBound()) {
            chunksInFlight++;
            wire.write(new DefaultSmtpRequest(BDAT, Integer.toString(chunkSize)),
                    new PendingCommand("BDAT", SmtpPhase.DATA_BLOCK, this::onChunkReply));
            last = wire.writeContent(held.readRetainedSlice(chunkSize));
        }
        if (held != null) {
            ((CompositeByteBuf) held).discardReadComponents();
        }
        if (phase == Phase.CONTENT_ENDED && (held == null || held.readableBytes() <= chunkSize)
                && chunksInFlight < bdatBound()) {
            ByteBuf rest = held != null ? held : wire.alloc().buffer(0);
            held = null;
            phase = Phase.ENDED;
            wire.cancelTimer();
            chunksInFlight++; // BDAT LAST counts towards the bound like any chunk
            wire.write(new DefaultSmtpRequest(BDAT, Integer.toString(rest.readableBytes()), "LAST"),
                    new PendingCommand("BDAT LAST", SmtpPhase.DATA_TERMINATION, this::onDataEnd));
            last = wire.writeContent(rest);
        }
        return last;
    }

    private void onChunkReply(SmtpReply reply) {
        chunksInFlight--;
        if (!session.owns(this)) {
            return; // an earlier chunk was refused: the transaction is over
        }
        if (!reply.isPositive()) {
            // RFC 3030 section 4.2: a refused chunk ends the transfer; the transaction needs a reset.
            dataReply = reply;
            session.needsReset();
            session.finish(this, report(null));
            return;
        }
        if (awaitingChunkReply) {
            awaitingChunkReply = false;
            pull();
        }
    }

    @Override
    public void onEnd() {
        EventExecutor loop = wire.executor();
        if (!loop.inEventLoop()) {
            loop.execute(this::onEnd);
            return;
        }
        if (!session.owns(this) || phase != Phase.STREAMING) {
            return;
        }
        phase = Phase.STOPPED;
        ByteBuf last = held; // closeContent() would release it: for BDAT it is what is gathered, kept below
        held = null;
        closeContent();
        if (bdat) {
            held = last;
            last = null;
        }
        ByteBuf tail = stuffer.finish(wire.alloc());
        // The held chunk was checked when it was encoded; the tail is new.
        if (params.watchEightBit && hasEightBit(tail)) {
            tail.release();
            if (last != null) {
                last.release();
            }
            wire.fail(report -> new SmtpContentException("the message has 8-bit content but the server does "
                    + "not offer 8BITMIME (RFC 6152); the send was abandoned", null, report));
            return;
        }
        if (bdat) {
            // The rest goes out as chunks as the bound allows, the last as BDAT n LAST, whose reply is the verdict.
            phase = Phase.CONTENT_ENDED;
            if (tail.isReadable()) {
                gather(tail);
            } else {
                tail.release();
            }
            pull();
            return;
        }
        phase = Phase.ENDED;
        wire.cancelTimer();
        if (last != null) {
            // Two buffers, one flush: they leave in one writev, without merging them into a copy first.
            wire.writeContent(last);
        }
        wire.write(tail, new PendingCommand("end of data", SmtpPhase.DATA_TERMINATION, this::onDataEnd));
        if (pipelined) {
            // The next message's MAIL/RCPT/DATA may go out behind the end of data, in the same write.
            session.drain(this);
        }
        wire.flush();
    }

    @Override
    public void onError(Throwable error) {
        EventExecutor loop = wire.executor();
        if (!loop.inEventLoop()) {
            loop.execute(() -> onError(error));
            return;
        }
        if (!session.owns(this) || phase != Phase.STREAMING) {
            return;
        }
        phase = Phase.STOPPED;
        // Closing without the final dot makes the server discard the partial message.
        wire.fail(report -> new SmtpContentException(
                "the message content failed while sending: " + error, error, report));
    }

    /** Closes the source and releases what is held back; the content stops if it was streaming. */
    void closeContent() {
        if (phase == Phase.STREAMING) {
            phase = Phase.STOPPED;
        }
        if (source != null) {
            source.close();
        }
        if (held != null) {
            held.release();
            held = null;
        }
    }

    private void onDataEnd(SmtpReply reply) {
        if (!session.isCurrent(this)) {
            return; // a refused BDAT chunk already ended the transaction
        }
        dataReply = reply;
        session.finish(this, report(null));
    }

    /** The transaction has its verdict: the caller may send the next message, then gets the report. */
    void complete(SendReport report) {
        handOff();
        result.complete(report);
    }

    /**
     * Fails the transaction: with an unknown outcome if its end of data was sent (the server may have taken
     * the message), otherwise with {@code error} and the replies so far.
     */
    void abort(Function<SendReport, SmtpException> error) {
        closeContent();
        SendReport partial = report(null);
        SmtpException txError;
        if (phase == Phase.ENDED) {
            SmtpException cause = error.apply(null);
            txError = new SmtpUnknownOutcomeException("the message was sent but its outcome is unknown: "
                    + cause.getMessage(), cause, partial);
        } else {
            txError = error.apply(partial);
        }
        handOff();
        result.completeExceptionally(txError);
    }

    /**
     * The report as far as the replies go. {@code fallback} is the verdict for recipients that have none
     * yet (a 421); without it they are UNDETERMINED.
     */
    SendReport report(SmtpReply fallback) {
        SendReport.Builder b = session.reportBuilder()
                .envelope(envelope)
                .mailReply(mailReply)
                .dataReply(dataReply)
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
