package io.reactivesmtp.protocol;

import io.netty.channel.Channel;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpReply;
import java.util.List;

/**
 * The SMTP dialogue, one line per command and reply, at DEBUG (through whatever logging Netty binds to, SLF4J
 * when present). AUTH arguments and continuation lines are redacted; content is never logged.
 */
final class Transcript {

    private static final InternalLogger LOG = InternalLoggerFactory.getInstance("io.reactivesmtp.transcript");

    private Transcript() {
    }

    /** Logs a reply the server sent on {@code channel}. */
    static void reply(Channel channel, SmtpReply reply) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} S: {}", channel.id().asShortText(), reply);
        }
    }

    /** Logs a command written on {@code channel}, unless it is content (not a request). */
    static void command(Channel channel, Object message, PendingCommand command) {
        if (LOG.isDebugEnabled() && message instanceof SmtpRequest) {
            LOG.debug("{} C: {}", channel.id().asShortText(), redacted((SmtpRequest) message, command));
        }
    }

    /** The request as a log line; every secret-bearing part replaced by a marker. */
    static String redacted(SmtpRequest request, PendingCommand command) {
        if (command.phase == SmtpPhase.AUTH) {
            if (SmtpCommand.AUTH.equals(request.command())) {
                List<CharSequence> params = request.parameters();
                return "AUTH " + (params.isEmpty() ? "" : params.get(0)) + (params.size() > 1 ? " <redacted>" : "");
            }
            return "<redacted>";
        }
        StringBuilder sb = new StringBuilder();
        if (!SmtpCommand.EMPTY.equals(request.command())) {
            sb.append(request.command().name());
        }
        for (CharSequence p : request.parameters()) {
            sb.append(' ').append(p);
        }
        return sb.toString();
    }
}
