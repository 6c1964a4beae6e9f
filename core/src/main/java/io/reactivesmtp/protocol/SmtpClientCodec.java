package io.reactivesmtp.protocol;

import io.netty.channel.CombinedChannelDuplexHandler;

/**
 * The client side of the SMTP wire format in one handler: a strict {@link SmtpReplyDecoder} for the
 * server's replies and a UTF-8 {@link SmtpRequestEncoder} for commands. Raw {@code ByteBuf}s (message
 * content) pass through the encoder untouched. One instance per connection: the decoder keeps state.
 */
public final class SmtpClientCodec extends CombinedChannelDuplexHandler<SmtpReplyDecoder, SmtpRequestEncoder> {

    /** A codec whose decoder uses {@link SmtpReplyDecoder#DEFAULT_MAX_LINE_LENGTH} and {@link SmtpReplyDecoder#DEFAULT_MAX_LINES}. */
    public SmtpClientCodec() {
        this(SmtpReplyDecoder.DEFAULT_MAX_LINE_LENGTH, SmtpReplyDecoder.DEFAULT_MAX_LINES);
    }

    /**
     * @param maxLineLength longest accepted reply line in bytes, line end included
     * @param maxLinesPerReply largest number of lines in one reply
     * @throws IllegalArgumentException if a limit is too small
     */
    public SmtpClientCodec(int maxLineLength, int maxLinesPerReply) {
        super(new SmtpReplyDecoder(maxLineLength, maxLinesPerReply), new SmtpRequestEncoder());
    }

    /**
     * Bytes received but not yet emitted as a reply; see {@link SmtpReplyDecoder#bufferedBytes()}. The
     * session handler requires zero after a STARTTLS 220 (response injection, CVE-2021-22947).
     *
     * @return the number of undecoded bytes
     */
    public int bufferedBytes() {
        return inboundHandler().bufferedBytes();
    }

    /**
     * The start of the undecoded bytes, safe for logs; see {@link SmtpReplyDecoder#bufferedText()}.
     *
     * @return the first buffered line, escaped and truncated; empty when nothing is buffered
     */
    public String bufferedText() {
        return inboundHandler().bufferedText();
    }
}
