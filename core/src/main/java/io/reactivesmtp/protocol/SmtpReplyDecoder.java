package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ByteProcessor;
import io.reactivesmtp.SmtpProtocolException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.internal.SafeText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Strict decoder of SMTP server replies (RFC 5321 section 4.2) into {@link io.netty.handler.codec.smtp.SmtpResponse}s
 * ({@link DecodedReply}s, each carrying its {@link SmtpReply}).
 *
 * <p>Each line is three digits whose first is 2 to 5, then a space (last line), a {@code -} (continuation)
 * or the end of the line (a bare {@code 250} is a valid last line with empty text). All lines of one reply
 * must carry the same code. Lines end with CRLF; a bare LF is tolerated. The response's
 * {@link io.netty.handler.codec.smtp.SmtpResponse#details() details} hold one entry per line: the text after the fourth
 * character, decoded as UTF-8, without the line end ({@code ""} for {@code 250} and for {@code "250 "}).
 * A reply is emitted as soon as its last line has arrived, however the bytes were split into reads.
 *
 * <p>Memory is bounded: a line longer than {@code maxLineLength} bytes (line end included) fails as soon as
 * that many bytes are buffered without a line end, and a reply of more than {@code maxLinesPerReply} lines
 * fails on the first line too many.
 *
 * <p>Any violation throws {@link SmtpProtocolException}, whose message names the problem and shows the
 * offending line sanitised for logs. {@link ByteToMessageDecoder} wraps it in a {@link DecoderException}
 * before it reaches {@code exceptionCaught}; handlers should look at the cause. After the first violation
 * the decoder discards every further byte and emits nothing: the connection is to be closed.
 *
 * <p>A one-line reply whose bytes equal one of the last few emitted ({@link RecentReplies}) is emitted again as
 * the same immutable instance: servers repeat {@code 250 2.1.5 Ok} for every recipient of every message.
 *
 * <p>Not sharable: it keeps the lines of the reply being read and the recent replies.
 */
public final class SmtpReplyDecoder extends ByteToMessageDecoder {

    /** Default longest accepted line in bytes, CRLF included (RFC 5321 requires only 512). */
    public static final int DEFAULT_MAX_LINE_LENGTH = 4096;

    /** Default largest number of lines in one reply (a large EHLO reply has a few dozen). */
    public static final int DEFAULT_MAX_LINES = 512;

    /** How much of an offending line an error message shows. */
    private static final int MAX_SHOWN_CHARS = 100;

    private final int maxLineLength;
    private final int maxLinesPerReply;

    /** One-line replies seen lately, emitted again as they are when the same bytes come. */
    private final RecentReplies recent = new RecentReplies();
    /** Lines of the multi-line reply being read; empty between replies. */
    private final List<String> lines = new ArrayList<>();
    /** Code of the reply being read, or -1 between replies. */
    private int currentCode = -1;
    /** Bytes consumed for the lines in {@link #lines}, so {@link #bufferedBytes()} counts them too. */
    private int pendingBytes;
    /** Set on the first violation; from then on all input is skipped. */
    private boolean failed;

    /** A decoder with {@link #DEFAULT_MAX_LINE_LENGTH} and {@link #DEFAULT_MAX_LINES}. */
    public SmtpReplyDecoder() {
        this(DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_LINES);
    }

    /**
     * @param maxLineLength longest accepted line in bytes, line end included; at least 5 ({@code "250\r\n"})
     * @param maxLinesPerReply largest number of lines in one reply; at least 1
     * @throws IllegalArgumentException if a limit is too small
     */
    public SmtpReplyDecoder(int maxLineLength, int maxLinesPerReply) {
        if (maxLineLength < 5) {
            throw new IllegalArgumentException("maxLineLength must be at least 5, was " + maxLineLength);
        }
        if (maxLinesPerReply < 1) {
            throw new IllegalArgumentException("maxLinesPerReply must be at least 1, was " + maxLinesPerReply);
        }
        this.maxLineLength = maxLineLength;
        this.maxLinesPerReply = maxLinesPerReply;
    }

    /**
     * Bytes received but not yet part of an emitted reply: buffered partial lines plus the lines already
     * read of an unfinished multi-line reply. The session handler checks it is zero when a STARTTLS 220
     * arrives, since anything behind that reply was sent before TLS and may be injected (CVE-2021-22947).
     *
     * @return the number of such bytes; 0 after a protocol violation, since all input is then discarded
     */
    public int bufferedBytes() {
        return internalBuffer().readableBytes() + pendingBytes;
    }

    /**
     * The start of the bytes received but not yet decoded, shown safe for logs (see {@link #sanitize}): the
     * first line without its line end, {@code "..."} appended when more follows. The session handler names
     * with it what a server sent where no reply was due.
     *
     * @return the text, empty when nothing is buffered
     */
    public String bufferedText() {
        ByteBuf buf = internalBuffer();
        int start = buf.readerIndex();
        int readable = buf.readableBytes();
        int lf = buf.indexOf(start, start + readable, (byte) '\n');
        int end = lf < 0 ? start + readable : lf;
        if (end > start && buf.getByte(end - 1) == '\r') {
            end--;
        }
        String shown = sanitize(buf, start, end - start);
        return lf >= 0 && lf + 1 < start + readable && !shown.endsWith("...") ? shown + "..." : shown;
    }

    /** @return true once a protocol violation was seen; all later input is discarded */
    public boolean isFailed() {
        return failed;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            // The connection is being closed; drop the bytes so the cumulation is released.
            in.skipBytes(in.readableBytes());
            return;
        }
        // One line per call: ByteToMessageDecoder calls again while bytes are consumed and fires each
        // reply before decoding the next line, so a reply is never held back behind later input.
        int start = in.readerIndex();
        int searchLength = Math.min(in.readableBytes(), maxLineLength);
        int lf = in.forEachByte(start, searchLength, ByteProcessor.FIND_LF);
        if (lf < 0) {
            if (searchLength >= maxLineLength) {
                throw fail(in, "reply line longer than " + maxLineLength + " bytes", start, searchLength);
            }
            return; // incomplete line, wait for more
        }
        int lineBytes = lf - start + 1;
        int end = lf; // exclusive end of the content
        if (end > start && in.getByte(end - 1) == '\r') {
            end--;
        }
        int length = end - start;
        int code = parseCode(in, start, length);
        boolean last;
        if (length == 3) {
            last = true;
        } else {
            byte sep = in.getByte(start + 3);
            if (sep == ' ') {
                last = true;
            } else if (sep == '-') {
                last = false;
            } else {
                throw fail(in, "malformed reply line (expected space or '-' after the code)", start, length);
            }
        }
        if (currentCode >= 0 && code != currentCode) {
            throw fail(in, "reply line with code " + code + " inside a multi-line reply with code " + currentCode,
                    start, length);
        }
        if (lines.size() >= maxLinesPerReply) {
            throw fail(in, "reply longer than " + maxLinesPerReply + " lines", start, length);
        }
        int textLength = length > 4 ? length - 4 : 0;
        if (last && lines.isEmpty()) {
            // Most replies have one line, and most of those repeat from message to message.
            DecodedReply reply = recent.find(code, in, start + 4, textLength);
            if (reply == null) {
                String text = textLength > 0 ? in.toString(start + 4, textLength, StandardCharsets.UTF_8) : "";
                reply = new DecodedReply(SmtpReply.of(code, List.of(text)));
                recent.add(reply);
            }
            in.skipBytes(lineBytes);
            out.add(reply);
            currentCode = -1;
            pendingBytes = 0;
            return;
        }
        String text = textLength > 0 ? in.toString(start + 4, textLength, StandardCharsets.UTF_8) : "";
        in.skipBytes(lineBytes);
        if (last) {
            lines.add(text);
            out.add(new DecodedReply(SmtpReply.of(code, List.copyOf(lines))));
            lines.clear();
            currentCode = -1;
            pendingBytes = 0;
        } else {
            lines.add(text);
            currentCode = code;
            pendingBytes += lineBytes;
        }
    }

    /** Parses the three-digit code at the start of a line, failing on anything but 200 to 599. */
    private int parseCode(ByteBuf in, int start, int length) {
        if (length < 3) {
            throw fail(in, "reply line too short", start, length);
        }
        int code = 0;
        for (int i = 0; i < 3; i++) {
            byte b = in.getByte(start + i);
            if (b < '0' || b > '9') {
                throw fail(in, "reply code is not three digits", start, length);
            }
            code = code * 10 + (b - '0');
        }
        if (code < 200 || code > 599) {
            throw fail(in, "reply code " + code + " outside 200-599", start, length);
        }
        return code;
    }

    /** Enters the failed state, discards all input and builds the exception to throw. */
    private SmtpProtocolException fail(ByteBuf in, String problem, int start, int length) {
        String shown = sanitize(in, start, length);
        failed = true;
        lines.clear();
        currentCode = -1;
        pendingBytes = 0;
        in.skipBytes(in.readableBytes());
        return new SmtpProtocolException("SMTP protocol violation: " + problem + ": \"" + shown + "\"");
    }

    /** Renders reply bytes for an error message by the one escaping rule ({@link SafeText#bytes}), bounded. */
    static String sanitize(ByteBuf in, int start, int length) {
        return SafeText.bytes(in, start, length, MAX_SHOWN_CHARS);
    }
}
