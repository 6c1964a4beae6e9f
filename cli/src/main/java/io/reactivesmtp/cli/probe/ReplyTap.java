package io.reactivesmtp.cli.probe;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.reactivesmtp.SmtpReply;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sits between the codec and the session ({@code smtp-codec -> probe-tap -> smtp-session}) and records every reply
 * with the verb of the command it answers: the session keeps neither the greeting nor what the server advertised
 * before TLS. The session sends one command at a time while it gets ready, so replies pair with commands in order.
 * Only verbs are recorded, never arguments.
 */
final class ReplyTap extends ChannelDuplexHandler {

    /** Its name in the pipeline. */
    static final String NAME = "probe-tap";

    /** One reply, with the verb of the command it answered; null for the greeting. */
    record Exchange(String command, SmtpReply reply) {
    }

    private final List<String> sent = new CopyOnWriteArrayList<>();
    private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
    private int answered;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof SmtpResponse response) {
            String command = null;
            if (!exchanges.isEmpty() || !sent.isEmpty()) {
                // The first reply is the greeting; later ones answer the commands in order.
                command = answered < sent.size() ? sent.get(answered++) : "?";
            }
            try {
                exchanges.add(new Exchange(command, SmtpReply.of(response)));
            } catch (IllegalArgumentException e) {
                // A code outside 200-599: the session reports it as a protocol error.
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof SmtpRequest request) {
            sent.add(request.command().name().toString().toUpperCase(Locale.ROOT));
        }
        ctx.write(msg, promise);
    }

    /** @return the replies so far, in order */
    List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }
}
