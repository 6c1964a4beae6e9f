package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Encodes an {@link SmtpRequest} as {@code COMMAND[ SP param]* CRLF}, the parameters in UTF-8 so SMTPUTF8
 * addresses go out intact (Netty's own encoder writes ASCII only).
 *
 * <p>{@link SmtpCommand#EMPTY} writes the parameters alone, space separated, as Netty's encoder does: that
 * is how a line that is not a command (an AUTH continuation, or {@code *} to cancel one) is sent.
 *
 * <p>A parameter containing CR, LF or NUL, or a command name that is not printable ASCII without spaces,
 * fails with an {@link EncoderException} before any byte is written. Callers validate their input much
 * earlier (and {@code DefaultSmtpRequest} refuses CR and LF); this is the last guard against command
 * smuggling, whatever {@code SmtpRequest} implementation comes in. The message names the command and the
 * parameter's position only, never the parameter, which may be a secret.
 *
 * <p>Anything that is not an {@code SmtpRequest}, such as the {@link ByteBuf}s of already dot-stuffed
 * message content, passes through untouched and uncopied. Stateless, hence sharable.
 */
@ChannelHandler.Sharable
public final class SmtpRequestEncoder extends MessageToByteEncoder<SmtpRequest> {

    private static final int CRLF_SHORT = ('\r' << 8) | '\n';

    /** Creates the encoder. */
    public SmtpRequestEncoder() {
        super(SmtpRequest.class);
    }

    /**
     * Allocates exactly the bytes the request will take, after checking it, so {@link #encode} never
     * resizes the buffer.
     */
    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, SmtpRequest msg, boolean preferDirect) {
        int length = encodedLength(msg);
        return preferDirect ? ctx.alloc().ioBuffer(length) : ctx.alloc().heapBuffer(length);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, SmtpRequest msg, ByteBuf out) {
        // The request was validated by allocateBuffer, which MessageToByteEncoder always calls first.
        write(msg, out);
    }

    /**
     * Encodes a request validated by {@link #encodedLength}, into exactly that many bytes of {@code out}. Also
     * used for a pipelined group of commands encoded into one buffer (see {@code CommandWire}).
     */
    static void write(SmtpRequest msg, ByteBuf out) {
        SmtpCommand command = msg.command();
        boolean hasCommand = !SmtpCommand.EMPTY.equals(command);
        if (hasCommand) {
            ByteBufUtil.writeAscii(out, command.name());
        }
        List<CharSequence> params = msg.parameters();
        for (int i = 0; i < params.size(); i++) {
            if (hasCommand || i > 0) {
                out.writeByte(' ');
            }
            CharSequence param = params.get(i);
            // writeUtf8 would reserve 3 bytes per char and grow the exact buffer; reserve the exact count.
            ByteBufUtil.reserveAndWriteUtf8(out, param, ByteBufUtil.utf8Bytes(param));
        }
        out.writeShort(CRLF_SHORT);
    }

    /**
     * Validates the request and returns its encoded size in bytes.
     *
     * @throws EncoderException if the command name or a parameter may not go on the wire
     */
    static int encodedLength(SmtpRequest msg) {
        SmtpCommand command = msg.command();
        AsciiString name = command.name();
        boolean hasCommand = !SmtpCommand.EMPTY.equals(command);
        int length = 2; // CRLF
        if (hasCommand) {
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                // A command word is printable ASCII: anything else is a bug or an attempt to smuggle.
                if (c <= ' ' || c > '~') {
                    throw new EncoderException("SMTP command name contains a space, control or non-ASCII character");
                }
            }
            length += name.length();
        }
        List<CharSequence> params = msg.parameters();
        for (int i = 0; i < params.size(); i++) {
            CharSequence param = params.get(i);
            for (int j = 0; j < param.length(); j++) {
                if (isForbidden(param.charAt(j))) {
                    // Name the command only: the parameter may be a password or token.
                    throw new EncoderException("parameter " + (i + 1) + " of SMTP command "
                            + (hasCommand ? name : "(continuation line)") + " contains CR, LF or NUL");
                }
            }
            length += ByteBufUtil.utf8Bytes(param);
            if (hasCommand || i > 0) {
                length++; // the space before it
            }
        }
        return length;
    }

    private static boolean isForbidden(char c) {
        return c == '\r' || c == '\n' || c == '\0';
    }
}
