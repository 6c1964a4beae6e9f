package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpContentException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpProtocolException;
import io.reactivesmtp.SmtpReply;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One message on its way through a session: the replies collected so far and the content being streamed.
 * It runs on the session's event loop and drives the session's wire through {@link SmtpSessionHandler}.
 */
final class MailTransaction implements ContentReceiver {

    private final SmtpSessionHandler s;
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
    /** BDAT: the source ended; what is gathered goes out as the bound allows, then BDAT LAST. */
    boolean contentEnded;
    boolean awaitingChunkReply;
    boolean streaming;
    boolean awaitingWritability;
    boolean terminatorSent;
    /** The DATA command was written: from then on the transaction can only end by its content or a close. */
    boolean dataSent;
    /** The caller cancelled before DATA: the replies still due are read, then RSET (see SmtpSessionHandler). */
    boolean cancelled;
    ContentSource source;
    /**
     * Encoded content not yet sent: DATA holds the latest chunk (it goes out with the terminator if it is the
     * last); BDAT gathers at most one chunk's worth (a composite of the encoded pieces).
     */
    ByteBuf held;
    /** BDAT: the encoded content gathered for the next chunks. */
    private final BdatGather gathered = new BdatGather();
    DotStuffer stuffer;
    Instant startedAt = Instant.now();
    long startNanos = System.nanoTime();
    /** Run once when the session can take the next message; null once run. */
    private Runnable acceptsNext;

    MailTransaction(SmtpSessionHandler session, Envelope envelope, MessageContent content,
                    CompletableFuture<SendReport> result, Runnable acceptsNext) {
        this.s = session;
        this.envelope = envelope;
        this.content = content;
        this.result = result;
        this.acceptsNext = acceptsNext;
        this.rcptReplies = new SmtpReply[envelope.recipients().size()];
    }

    /** Tells the caller (once) that the session can take its next message. */
    void handOff() {
        Runnable r = acceptsNext;
        acceptsNext = null;
        if (r != null) {
            r.run();
        }
    }


    void onRset(SmtpReply reply) {
        if (!reply.isPositive()) {
            s.failSession(report -> new SmtpProtocolException("the server refused RSET: " + reply, report));
        } else if (cancelled) {
            s.afterCancelledReply(this);
        } else if (!pipelined) {
            sendMail();
            s.flush();
        }
    }

    void sendMail() {
        List<CharSequence> args = new ArrayList<>();
        args.add("FROM:" + envelope.sender().map(params::path).orElse("<>"));
        args.addAll(params.mail);
        s.write(new DefaultSmtpRequest(SmtpCommand.MAIL, args.toArray(new CharSequence[0])), new PendingCommand("MAIL", SmtpPhase.MAIL, this::onMail));
    }

    void sendRcpt(int i) {
        MailAddress to = envelope.recipients().get(i);
        List<CharSequence> args = new ArrayList<>();
        args.add("TO:" + params.path(to));
        args.addAll(params.rcpt(to));
        s.write(new DefaultSmtpRequest(SmtpCommand.RCPT, args.toArray(new CharSequence[0])),
                new PendingCommand("RCPT", SmtpPhase.RCPT, reply -> onRcpt(i, reply)));
    }

    void sendData() {
        dataSent = true;
        s.write(new DefaultSmtpRequest(SmtpCommand.DATA), new PendingCommand("DATA", SmtpPhase.DATA_INITIATION, this::onData));
    }

    void onMail(SmtpReply reply) {
        mailReply = reply;
        if (cancelled) {
            s.afterCancelledReply(this);
            return;
        }
        if (pipelined) {
            return; // the RCPT and DATA replies are on their way; the DATA reply ends the group
        }
        if (reply.isPositive()) {
            sendRcpt(0);
            s.flush();
        } else {
            s.finish(this, report(null));
        }
    }

    void onRcpt(int i, SmtpReply reply) {
        rcptReplies[i] = reply;
        if (reply.isPositive()) {
            accepted++;
        }
        if (cancelled) {
            s.afterCancelledReply(this);
            return;
        }
        if (pipelined && !bdat) {
            return; // the DATA reply decides
        }
        if (!pipelined && i + 1 < rcptReplies.length) {
            sendRcpt(i + 1);
            s.flush();
        } else if (i + 1 < rcptReplies.length) {
            return; // pipelined BDAT: wait for the last RCPT reply
        } else if (accepted > 0 && mailReply != null && mailReply.isPositive()) {
            if (bdat) {
                startContent();
            } else {
                sendData();
                s.flush();
            }
        } else if (mailReply != null && !mailReply.isPositive()) {
            s.finish(this, report(null)); // pipelined BDAT after a refused MAIL: no transaction to reset
        } else {
            s.needsReset = true; // MAIL was accepted: the server holds an open transaction
            s.finish(this, report(null));
        }
    }

    void onData(SmtpReply reply) {
        if (reply.code() == 354) {
            if (accepted > 0 && mailReply != null && mailReply.isPositive()) {
                startContent();
            } else {
                // Pipelined DATA got 354 although nobody can receive the message: end it empty,
                // never transmit the content (RFC 2920 section 3.1).
                s.write(Unpooled.wrappedBuffer(new byte[] {'.', '\r', '\n'}), new PendingCommand("end of data", SmtpPhase.DATA_TERMINATION, r -> {
                    dataReply = r;
                    s.finish(this, report(null));
                }));
                s.flush();
            }
            return;
        }
        if (mailReply != null && mailReply.isPositive()) {
            s.needsReset = true;
        }
        if (accepted > 0) {
            dataReply = reply;
        }
        s.finish(this, report(null));
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
        if (s.tx != this) {
            return;
        }
        if (bdat && (contentEnded || gathered.bytes() > s.options.bdatChunkSize())) {
            // Chunks already encoded go first, as far as the bound allows; the source waits until they are out.
            ChannelFuture written = writeBdatChunks();
            if (written != null) {
                s.flush();
                afterBlock(written);
            } else if (!terminatorSent) {
                awaitingChunkReply = true;
            }
            return;
        }
        if (!streaming) {
            return;
        }
        // BDAT pipelines at most two chunks (one without PIPELINING): a refused chunk wastes little.
        if (bdat && chunksInFlight >= bdatBound()) {
            awaitingChunkReply = true;
            return;
        }
        source.next(s.ctx.alloc(), this);
    }

    private int bdatBound() {
        return pipelined ? 2 : 1;
    }

    @Override
    public void onChunk(ByteBuf chunk) {
        if (!s.ctx.executor().inEventLoop()) {
            s.ctx.executor().execute(() -> onChunk(chunk));
            return;
        }
        if (s.tx != this || !streaming) {
            chunk.release();
            return;
        }
        ByteBuf encoded = stuffer.encode(chunk, s.ctx.alloc());
        if (params.watchEightBit && SmtpSessionHandler.hasEightBit(encoded)) {
            encoded.release();
            streaming = false;
            s.failSession(report -> new SmtpContentException("the message has 8-bit content but the server does not "
                    + "offer 8BITMIME (RFC 6152); the send was abandoned before its end, so nothing was delivered; "
                    + "declare the content's body type or encode it as 7-bit", null, report));
            return;
        }
        if (!encoded.isReadable()) {
            encoded.release();
            s.ctx.executor().execute(this::pull);
            return;
        }
        ChannelFuture written;
        if (bdat) {
            gather(encoded);
            written = writeBdatChunks();
            if (written == null) {
                s.ctx.executor().execute(this::pull); // still gathering the next chunk, or waiting for a reply
                return;
            }
            s.flush();
        } else {
            // One chunk is held back: the last one then leaves with the terminator in a single write, so a
            // message that fits in one chunk costs one write instead of two.
            ByteBuf previous = held;
            held = encoded;
            if (previous == null) {
                s.ctx.executor().execute(this::pull);
                return;
            }
            written = s.ctx.write(previous);
            s.flush();
        }
        afterBlock(written);
    }

    /** Times a block being written and, once it is out, asks for the next one (or waits for writability). */
    private void afterBlock(ChannelFuture written) {
        s.armTimer(SmtpPhase.DATA_BLOCK);
        written.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                s.writeFailure.operationComplete(f);
                return;
            }
            if (s.tx != this || !streaming && !(bdat && contentEnded && !terminatorSent)) {
                return;
            }
            // The block is out: from now on the clock runs for the oldest unanswered command, if any.
            s.cancelTimer();
            if (!s.pending.isEmpty()) {
                s.armTimer(s.pending.peek().phase);
            }
            if (s.ctx.channel().isWritable()) {
                // A task, not a call: a synchronous source would otherwise recurse once per chunk.
                s.ctx.executor().execute(this::pull);
            } else {
                awaitingWritability = true;
            }
        });
    }

    /** BDAT: adds an encoded piece to what is gathered for the next chunks. */
    private void gather(ByteBuf piece) {
        gathered.add(piece);
    }

    /**
     * BDAT: writes chunks of exactly bdatChunkSize bytes from what is gathered while fewer than the bound are
     * unanswered, keeping at least one chunk's worth back until the content ends; once it ended and the rest fits
     * in one chunk, writes it as BDAT n LAST (BDAT 0 LAST for an empty content), so a message that fits in one
     * chunk costs one command.
     *
     * @return the write of the last chunk written, or null if none could go now
     */
    private ChannelFuture writeBdatChunks() {
        int max = s.options.bdatChunkSize();
        ChannelFuture last = null;
        while (gathered.bytes() > max && chunksInFlight < bdatBound()) {
            chunksInFlight++;
            s.write(new DefaultSmtpRequest(SmtpSessionHandler.BDAT, Integer.toString(max)),
                    new PendingCommand("BDAT", SmtpPhase.DATA_BLOCK, this::onChunkReply));
            last = s.ctx.write(gathered.take(s.ctx.alloc(), max));
            last.addListener(s.writeFailure);
        }
        if (contentEnded && !terminatorSent && gathered.bytes() <= max && chunksInFlight < bdatBound()) {
            ByteBuf rest = gathered.take(s.ctx.alloc(), gathered.bytes());
            terminatorSent = true;
            s.cancelTimer();
            chunksInFlight++; // BDAT LAST counts towards the bound like any chunk
            s.write(new DefaultSmtpRequest(SmtpSessionHandler.BDAT, Integer.toString(rest.readableBytes()), "LAST"),
                    new PendingCommand("BDAT LAST", SmtpPhase.DATA_TERMINATION, this::onDataEnd));
            last = s.ctx.write(rest);
            last.addListener(s.writeFailure);
        }
        return last;
    }

    void onChunkReply(SmtpReply reply) {
        chunksInFlight--;
        if (s.tx != this) {
            return; // an earlier chunk was refused: the transaction is over
        }
        if (!reply.isPositive()) {
            // RFC 3030 section 4.2: a refused chunk ends the transfer; the transaction needs a reset.
            dataReply = reply;
            s.needsReset = true;
            s.finish(this, report(null));
            return;
        }
        if (awaitingChunkReply) {
            awaitingChunkReply = false;
            pull();
        }
    }

    @Override
    public void onEnd() {
        if (!s.ctx.executor().inEventLoop()) {
            s.ctx.executor().execute(this::onEnd);
            return;
        }
        if (s.tx != this || !streaming) {
            return;
        }
        streaming = false;
        ByteBuf last = held;
        held = null;
        source.close(); // the buffers still to send are kept: closeContent() would release them
        ByteBuf tail = stuffer.finish(s.ctx.alloc());
        // The held chunk was checked when it was encoded; the tail is new.
        if (params.watchEightBit && SmtpSessionHandler.hasEightBit(tail)) {
            tail.release();
            if (last != null) {
                last.release();
            }
            s.failSession(report -> new SmtpContentException("the message has 8-bit content but the server does "
                    + "not offer 8BITMIME (RFC 6152); the send was abandoned", null, report));
            return;
        }
        if (bdat) {
            // The rest goes out as chunks as the bound allows, the last as BDAT n LAST, whose reply is the verdict.
            contentEnded = true;
            if (tail.isReadable()) {
                gather(tail);
            } else {
                tail.release();
            }
            pull();
            return;
        }
        terminatorSent = true;
        s.cancelTimer();
        if (last != null) {
            // Two buffers, one flush: they leave in one writev, without merging them into a copy first.
            s.ctx.write(last).addListener(s.writeFailure);
        }
        s.write(tail, new PendingCommand("end of data", SmtpPhase.DATA_TERMINATION, this::onDataEnd));
        if (pipelined) {
            // The next message's MAIL/RCPT/DATA may go out behind the end of data, in the same write.
            s.drain(this);
        }
        s.flush();
    }

    @Override
    public void onError(Throwable error) {
        if (!s.ctx.executor().inEventLoop()) {
            s.ctx.executor().execute(() -> onError(error));
            return;
        }
        if (s.tx != this || !streaming) {
            return;
        }
        streaming = false;
        // Closing without the final dot makes the server discard the partial message.
        s.failSession(report -> new SmtpContentException(
                "the message content failed while sending: " + error, error, report));
    }

    void closeContent() {
        streaming = false;
        if (source != null) {
            source.close();
        }
        if (held != null) {
            held.release();
            held = null;
        }
        gathered.release();
    }

    void onDataEnd(SmtpReply reply) {
        if (!s.isCurrent(this)) {
            return; // a refused BDAT chunk already ended the transaction
        }
        dataReply = reply;
        s.finish(this, report(null));
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
                .serverAddress(s.ctx.channel().remoteAddress())
                .capabilities(s.capabilities)
                .tls(s.tlsInfo)
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
