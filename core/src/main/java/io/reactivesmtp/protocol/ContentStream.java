package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.util.concurrent.EventExecutor;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SmtpContentException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.internal.ByteScan;

/**
 * The content half of a mail transaction: pulls the message from its source, dot-stuffs it for DATA or cuts it
 * into BDAT chunks (RFC 3030), and writes it one block at a time, so that a slow server slows the source instead
 * of filling memory. The transaction that extends it writes the envelope and says what the replies mean, through
 * the hooks below; the two halves share no field. Runs on the session's event loop.
 */
abstract class ContentStream implements ContentReceiver {

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

    static boolean hasEightBit(ByteBuf buf) {
        return ByteScan.hasEightBit(buf, buf.readerIndex(), buf.writerIndex());
    }

    private final SessionWire wire;
    private final int chunkSize;
    private final MessageContent content;
    private Phase phase = Phase.ENVELOPE;
    /** Decided when the transaction begins: commands go out in groups (RFC 2920), content as chunks (RFC 3030). */
    private boolean pipelined;
    private boolean bdat;
    /** The server takes 7-bit only: a byte with the high bit set abandons the send. */
    private boolean watchEightBit;
    /** A block is out but the channel was not writable: the next pull waits for writability. */
    private boolean awaitingWritability;
    /** BDAT: the bound of unanswered chunks is reached; the next pull waits for a chunk's reply. */
    private boolean awaitingChunkReply;
    private int chunksInFlight;
    private ContentSource source;
    /** DATA: the latest encoded chunk, held back so that the last one goes out with the terminator. */
    private ByteBuf held;
    /** BDAT: the encoded content gathered for the next chunks. */
    private final BdatGather gathered = new BdatGather();
    private DotStuffer stuffer;

    ContentStream(SessionWire wire, int chunkSize, MessageContent content) {
        this.wire = wire;
        this.chunkSize = chunkSize;
        this.content = content;
    }

    /** Decides, once, how the transaction goes: pipelined, with BDAT, checking for 8-bit content. */
    final void mode(boolean pipelined, boolean bdat, boolean watchEightBit) {
        this.pipelined = pipelined;
        this.bdat = bdat;
        this.watchEightBit = watchEightBit;
    }

    final boolean isPipelined() {
        return pipelined;
    }

    final boolean isBdat() {
        return bdat;
    }

    final Phase phase() {
        return phase;
    }

    /** The envelope half moves the phase while nothing of the content is written (DATA sent, cancelled). */
    final void enter(Phase next) {
        phase = next;
    }

    /** @return true while this transaction owns the session's wire */
    abstract boolean ownsWire();

    /** A BDAT chunk was refused: the transfer is over (RFC 3030 section 4.2). */
    abstract void onChunkRefused(SmtpReply reply);

    /** The reply to the end of data (the final dot, or BDAT LAST): the verdict. */
    abstract void onDataEnd(SmtpReply reply);

    /** With PIPELINING, the end of data is written (not yet flushed): the next message may follow it. */
    abstract void endOfDataWritten();

    // -------- content streaming: one chunk in flight; the next is pulled when the write completed
    // and the channel is writable, so a slow server slows the source instead of filling memory.

    final void startContent() {
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
    final void onWritable() {
        if (awaitingWritability) {
            pull();
        }
    }

    private void pull() {
        awaitingWritability = false;
        if (!ownsWire()) {
            return;
        }
        if (bdat && (phase == Phase.CONTENT_ENDED || phase == Phase.ENDED || gathered.bytes() > chunkSize)) {
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
        if (!ownsWire() || phase != Phase.STREAMING) {
            chunk.release();
            return;
        }
        ByteBuf encoded = stuffer.encode(chunk, wire.alloc());
        if (watchEightBit && hasEightBit(encoded)) {
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
            if (!f.isSuccess() || !ownsWire() || phase != Phase.STREAMING && phase != Phase.CONTENT_ENDED) {
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

    /** BDAT: adds an encoded piece to what is gathered for the next chunks. */
    private void gather(ByteBuf piece) {
        gathered.add(piece);
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
        while (gathered.bytes() > chunkSize && chunksInFlight < bdatBound()) {
            chunksInFlight++;
            wire.write(new DefaultSmtpRequest(BDAT, Integer.toString(chunkSize)),
                    new PendingCommand("BDAT", SmtpPhase.DATA_BLOCK, this::onChunkReply));
            last = wire.writeContent(gathered.take(wire.alloc(), chunkSize));
        }
        if (phase == Phase.CONTENT_ENDED && gathered.bytes() <= chunkSize && chunksInFlight < bdatBound()) {
            ByteBuf rest = gathered.take(wire.alloc(), gathered.bytes());
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
        if (!ownsWire()) {
            return; // an earlier chunk was refused: the transaction is over
        }
        if (!reply.isPositive()) {
            // RFC 3030 section 4.2: a refused chunk ends the transfer.
            onChunkRefused(reply);
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
        if (!ownsWire() || phase != Phase.STREAMING) {
            return;
        }
        phase = Phase.STOPPED;
        ByteBuf last = held;
        held = null;
        source.close(); // the buffers still to send are kept: closeContent() would release them
        ByteBuf tail = stuffer.finish(wire.alloc());
        // The held chunk was checked when it was encoded; the tail is new.
        if (watchEightBit && hasEightBit(tail)) {
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
            // Two buffers, one flush: they leave in one writev, without merging them into a copy first. The
            // end of data that follows decides the outcome, so no promise of its own.
            wire.writeFinalContent(last);
        }
        wire.write(tail, new PendingCommand("end of data", SmtpPhase.DATA_TERMINATION, this::onDataEnd));
        if (pipelined) {
            // The next message's MAIL/RCPT/DATA may go out behind the end of data, in the same write.
            endOfDataWritten();
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
        if (!ownsWire() || phase != Phase.STREAMING) {
            return;
        }
        phase = Phase.STOPPED;
        // Closing without the final dot makes the server discard the partial message.
        wire.fail(report -> new SmtpContentException(
                "the message content failed while sending: " + error, error, report));
    }

    /** Closes the source and releases what is held back; the content stops if it was streaming. */
    final void closeContent() {
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
        gathered.release();
    }
}
