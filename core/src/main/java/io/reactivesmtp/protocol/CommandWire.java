package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.util.concurrent.EventExecutor;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpSessionOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A session's end of the connection. Every command is queued in a FIFO of pending commands <em>before</em> it is
 * written, and each complete reply completes the head of that queue, so pipelined replies (RFC 2920) can never
 * pair with the wrong command. One clock runs at a time: for the oldest unanswered command, or for the content
 * block being written.
 *
 * <p>Replies come in reads. What a reply triggers is written at once but flushed only when the read completes,
 * so that every byte of that read has been matched first; this wire says which read a command was queued in and
 * what is buffered behind a reply, so that the session can refuse bytes that answer nothing. Touched on the
 * event loop only.
 */
final class CommandWire implements SessionWire {

    private final ChannelHandlerContext ctx;
    private final SessionClock clock;
    private final Consumer<Function<SendReport, SmtpException>> sessionFailure;
    private final ArrayDeque<PendingCommand> pending = new ArrayDeque<>();
    private final ChannelFutureListener writeFailure = f -> {
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            fail(report -> new SmtpConnectionException("write failed: " + c, c, report));
        }
    };
    /** The requests of the pipelined group being written (see {@link #beginGroup()}); empty between groups. */
    private final ArrayList<SmtpRequest> group = new ArrayList<>(0);
    private boolean grouping;
    /**
     * Whether a group may leave as one buffer: only when the codec is the session's neighbour in the pipeline. A
     * handler put between them (SmtpConnector's pipeline customiser) is promised every command as an
     * {@code SmtpRequest}, so with one there each command is written on its own. 0 until the first group (the
     * customiser has run by then), 1 yes, -1 no.
     */
    private int groupable;
    /** The codec in front, whose decoder says what is buffered behind a reply; null until the first reply. */
    private SmtpClientCodec codec;
    /** True from the first reply of a read until the read completes. */
    private boolean reading;
    /** How many reads that carried a reply have completed: the number of the read in progress. */
    private long readCount;
    /** A flush was asked for during the read in progress; it happens when the read completes. */
    private boolean flushAfterRead;

    /**
     * @param expiry told when the clock runs out
     * @param sessionFailure ends the session (see {@link SessionWire#fail})
     */
    CommandWire(ChannelHandlerContext ctx, SmtpSessionOptions options, SessionClock.Expiry expiry,
                Consumer<Function<SendReport, SmtpException>> sessionFailure) {
        this.ctx = ctx;
        this.clock = new SessionClock(options, ctx.executor(), expiry);
        this.sessionFailure = sessionFailure;
    }

    @Override
    public void write(Object message, PendingCommand command) {
        Transcript.command(ctx.channel(), message, command);
        command.queuedInRead = reading ? readCount : -1;
        pending.add(command);
        if (pending.size() == 1) {
            clock.arm(command.phase);
        }
        if (grouping) {
            if (message instanceof SmtpRequest) {
                group.add((SmtpRequest) message);
                return;
            }
            writeGroup(); // anything else goes behind the commands before it
        }
        // No promise and listener per command (several per message): a failed write fires exceptionCaught
        // through the pipeline instead, and the session handler fails the session there.
        ctx.write(message, ctx.voidPromise());
    }

    @Override
    public void beginGroup() {
        if (groupable == 0) {
            List<String> names = ctx.pipeline().names();
            int at = names.indexOf(ctx.name());
            groupable = at > 0 && HandlerNames.CODEC.equals(names.get(at - 1)) ? 1 : -1;
        }
        grouping = groupable > 0;
    }

    @Override
    public void endGroup() {
        grouping = false;
        writeGroup();
    }

    /**
     * Writes the commands gathered so far as one buffer. A request that may not go on the wire fails the session
     * as the encoder's own refusal would (through exceptionCaught), and then nothing of the group is written.
     */
    private void writeGroup() {
        if (group.isEmpty()) {
            return;
        }
        ByteBuf out = null;
        try {
            int length = 0;
            for (int i = 0; i < group.size(); i++) {
                length += SmtpRequestEncoder.encodedLength(group.get(i));
            }
            out = ctx.alloc().ioBuffer(length);
            for (int i = 0; i < group.size(); i++) {
                SmtpRequestEncoder.write(group.get(i), out);
            }
        } catch (RuntimeException e) {
            if (out != null) {
                out.release();
            }
            group.clear();
            ctx.voidPromise().setFailure(e);
            return;
        }
        group.clear();
        ctx.write(out, ctx.voidPromise());
    }

    @Override
    public ChannelFuture writeContent(ByteBuf content) {
        return ctx.write(content).addListener(writeFailure);
    }

    @Override
    public void writeFinalContent(ByteBuf content) {
        ctx.write(content, ctx.voidPromise());
    }

    @Override
    public void flush() {
        if (reading) {
            flushAfterRead = true;
        } else {
            ctx.flush();
        }
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public EventExecutor executor() {
        return ctx.executor();
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void armTimer(SmtpPhase phase) {
        clock.arm(phase);
    }

    @Override
    public void cancelTimer() {
        clock.cancel();
    }

    @Override
    public void timeOldestCommand() {
        clock.cancel();
        if (!pending.isEmpty()) {
            clock.arm(pending.peek().phase);
        }
    }

    @Override
    public void fail(Function<SendReport, SmtpException> error) {
        sessionFailure.accept(error);
    }

    /** Awaits a reply nothing was written for (the greeting), timed from now. */
    void expect(PendingCommand command) {
        pending.add(command);
        clock.arm(command.phase);
    }

    /** A reply is being read: what it triggers is flushed when the read completes. */
    void replyRead() {
        reading = true;
    }

    /** The read completed: what its replies triggered leaves now. */
    void readComplete() {
        if (reading) {
            reading = false;
            readCount++;
            if (flushAfterRead) {
                flushAfterRead = false;
                ctx.flush(); // after a failure the channel is closed: what was written is dropped, never sent
            }
        }
    }

    /** @return the oldest unanswered command, removed from the queue, and the clock stopped; null if none */
    PendingCommand answer() {
        PendingCommand head = pending.poll();
        if (head != null) {
            clock.cancel();
        }
        return head;
    }

    /** @return true when {@code command} was queued during the read in progress: not sent before it came */
    boolean queuedInThisRead(PendingCommand command) {
        return command.queuedInRead == readCount;
    }

    /** @return true when no command awaits a reply */
    boolean isIdle() {
        return pending.isEmpty();
    }

    /** After a reply: if the clock stopped and commands still await replies, it runs for the oldest one. */
    void timeNextCommand() {
        if (!pending.isEmpty() && !clock.isRunning()) {
            clock.arm(pending.peek().phase);
        }
    }

    /** Forgets every command awaiting a reply, and stops the clock until it is armed again. */
    void forget() {
        pending.clear();
        clock.cancel();
    }

    /** Stops the clock for good (the connection is closing). */
    void stopClock() {
        clock.stop();
    }

    /**
     * The bytes buffered behind the reply being handled, shown safe for an error message, when they cannot
     * answer anything because no command is pending; null when there are none or they start a 421.
     */
    String unexpectedBytesBehind() {
        if (codec == null) {
            codec = ctx.pipeline().get(SmtpClientCodec.class);
            if (codec == null) {
                return null; // a pipeline without our codec (not one SmtpSession builds): nothing to look at
            }
        }
        String text = codec.bufferedText();
        return text.isEmpty() || text.startsWith("421") ? null : text;
    }
}
