package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.EventExecutor;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import java.util.function.Function;

/**
 * What the session's helpers (a mail transaction, the STARTTLS upgrade) may do with the connection: write
 * commands that are queued for their replies, write content, flush, run the clock, fail the session. Everything
 * runs on {@link #executor()}.
 */
interface SessionWire {

    /**
     * Queues {@code command} for its reply, then writes {@code message}; it leaves with the next {@link #flush()}.
     * A failed write fails the session (through the pipeline's exceptionCaught).
     */
    void write(Object message, PendingCommand command);

    /**
     * Starts a group of pipelined commands (RFC 2920) that leave in one buffer: until {@link #endGroup()},
     * {@link #write} queues each command for its reply and keeps the request, and {@code endGroup} encodes them all
     * at once. One write for the group instead of one per command (a buffer and an outbound entry each).
     */
    void beginGroup();

    /** Encodes the group's commands into one buffer and writes it; it leaves with the next {@link #flush()}. */
    void endGroup();

    /** Writes bytes that answer no command (content); a failed write fails the session. */
    ChannelFuture writeContent(ByteBuf content);

    /**
     * Writes the last content bytes, those right before the end of data, without a promise and listener of their
     * own: what becomes of them is what becomes of the end of data. A failed write still fails the session
     * (through the pipeline's exceptionCaught), and the transaction, whose end of data is written by then, with an
     * unknown outcome.
     */
    void writeFinalContent(ByteBuf content);

    /** Flushes now, or when the read in progress completes (once every reply of that read is matched). */
    void flush();

    ByteBufAllocator alloc();

    EventExecutor executor();

    boolean isWritable();

    /** Runs the session's clock for {@code phase}, from now. */
    void armTimer(SmtpPhase phase);

    /** Stops the session's clock until it is armed again. */
    void cancelTimer();

    /** A content block is out: the clock runs for the oldest unanswered command, if any. */
    void timeOldestCommand();

    /**
     * Ends the session for good and closes the connection.
     *
     * @param error makes the exception, given the partial report of a transaction (null for the session's own)
     */
    void fail(Function<SendReport, SmtpException> error);
}
