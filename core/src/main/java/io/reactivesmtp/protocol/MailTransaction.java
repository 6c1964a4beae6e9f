package io.reactivesmtp.protocol;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.reactivesmtp.Capabilities;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpPolicyException;
import io.reactivesmtp.SmtpProtocolException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One message on its way through a session: the envelope's commands, the content being streamed, the replies
 * collected so far. It runs on the session's event loop and reaches the session only through its
 * {@link SessionWire} and {@link Session}.
 */
final class MailTransaction extends ContentStream {

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

    /** Immutable, without parameters: one of each for every transaction. */
    private static final DefaultSmtpRequest DATA = new DefaultSmtpRequest(SmtpCommand.DATA);
    private static final DefaultSmtpRequest RSET = new DefaultSmtpRequest(SmtpCommand.RSET);

    private final Session session;
    private final SessionWire wire;
    private final Envelope envelope;
    private final MessageContent content;
    private final CompletableFuture<SendReport> result;
    private final SmtpReply[] rcptReplies;
    private SmtpReply mailReply;
    private SmtpReply dataReply;
    private int accepted;
    private MailParameters params;
    /** Set when the commands start (begin); a transaction that never began dates from startNanos. */
    private Instant startedAt;
    private long startNanos = System.nanoTime();
    /** Run once when the session can take the next message; null once run. */
    private Runnable acceptsNext;

    MailTransaction(Session session, SessionWire wire, int chunkSize, Envelope envelope, MessageContent content,
                    CompletableFuture<SendReport> result, Runnable acceptsNext) {
        super(wire, chunkSize, content);
        this.session = session;
        this.wire = wire;
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
        mode(pipelined, bdat, params.watchEightBit);
    }

    /** Writes the first commands: RSET first if the session holds a transaction, then MAIL (RCPT, DATA with PIPELINING). */
    void begin(boolean reset) {
        startedAt = Instant.now();
        startNanos = System.nanoTime();
        if (!isPipelined()) {
            if (reset) {
                wire.write(RSET, new PendingCommand("RSET", SmtpPhase.OTHER_COMMAND, this::onRset));
            } else {
                sendMail();
            }
            wire.flush();
            return;
        }
        // The whole group in one buffer: one write and one flush per message, however many recipients.
        wire.beginGroup();
        try {
            if (reset) {
                wire.write(RSET, new PendingCommand("RSET", SmtpPhase.OTHER_COMMAND, this::onRset));
            }
            sendMail();
            for (int i = 0; i < rcptReplies.length; i++) {
                sendRcpt(i);
            }
            if (!isBdat()) {
                // DATA ends the group (RFC 2920); with BDAT the content waits for the RCPT replies, so that it
                // is never transmitted when nobody can receive it.
                sendData();
            }
        } finally {
            wire.endGroup();
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
        switch (phase()) {
            case ENVELOPE:
                enter(Phase.CANCELLED);
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
        } else if (phase() == Phase.CANCELLED) {
            session.afterCancelledReply(this);
        } else if (!isPipelined()) {
            sendMail();
            wire.flush();
        }
    }

    private void sendMail() {
        MailAddress sender = envelope.sender().orElse(null);
        String from = sender != null ? params.path("FROM:", sender) : "FROM:<>";
        wire.write(Command.of(SmtpCommand.MAIL, from, params.mail), new PendingCommand("MAIL", SmtpPhase.MAIL, this::onMail));
    }

    private void sendRcpt(int i) {
        MailAddress to = envelope.recipients().get(i);
        wire.write(Command.of(SmtpCommand.RCPT, params.path("TO:", to), params.rcpt(to)),
                new PendingCommand("RCPT", SmtpPhase.RCPT, reply -> onRcpt(i, reply)));
    }

    private void sendData() {
        enter(Phase.DATA_SENT);
        wire.write(DATA, new PendingCommand("DATA", SmtpPhase.DATA_INITIATION, this::onData));
    }

    /** The server answered MAIL with 421 and is closing: the report gives it as the reply to MAIL. */
    void refusedAtMail(SmtpReply reply) {
        mailReply = reply;
    }

    private void onMail(SmtpReply reply) {
        mailReply = reply;
        if (phase() == Phase.CANCELLED) {
            session.afterCancelledReply(this);
            return;
        }
        if (isPipelined()) {
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
        if (phase() == Phase.CANCELLED) {
            session.afterCancelledReply(this);
            return;
        }
        if (isPipelined() && !isBdat()) {
            return; // the DATA reply decides
        }
        if (!isPipelined() && i + 1 < rcptReplies.length) {
            sendRcpt(i + 1);
            wire.flush();
        } else if (i + 1 < rcptReplies.length) {
            return; // pipelined BDAT: wait for the last RCPT reply
        } else if (accepted > 0 && mailReply != null && mailReply.isPositive()) {
            if (isBdat()) {
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

    @Override
    boolean ownsWire() {
        return session.owns(this);
    }

    @Override
    void onChunkRefused(SmtpReply reply) {
        dataReply = reply;
        session.needsReset(); // the transaction needs a reset
        session.finish(this, report(null));
    }

    @Override
    void endOfDataWritten() {
        session.drain(this);
    }

    @Override
    void onDataEnd(SmtpReply reply) {
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
        boolean afterData = phase() == Phase.ENDED;
        SendReport partial = report(null, afterData);
        SmtpException txError;
        if (afterData) {
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
        return report(fallback, false);
    }

    /**
     * @param afterData the end of data went out and its reply will never come: recipients accepted at RCPT are
     *     {@link RecipientResult.Status#UNKNOWN_AFTER_DATA} rather than UNDETERMINED
     */
    private SendReport report(SmtpReply fallback, boolean afterData) {
        SendReport.Builder b = session.reportBuilder()
                .envelope(envelope)
                .mailReply(mailReply)
                .dataReply(dataReply)
                .startedAt(startedAt != null ? startedAt : Instant.now().minusNanos(System.nanoTime() - startNanos))
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
            if (verdict != null) {
                b.recipient(RecipientResult.decided(to, verdict, rcpt));
            } else if (afterData && rcpt != null) {
                b.recipient(RecipientResult.withoutReply(to, RecipientResult.Status.UNKNOWN_AFTER_DATA, rcpt));
            } else {
                b.recipient(RecipientResult.undetermined(to, rcpt));
            }
        }
        return b.build();
    }
}
