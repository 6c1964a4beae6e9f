package io.reactivesmtp.protocol;

import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpReply;
import java.util.function.Consumer;

/**
 * A command written (or about to be written) whose reply has not come yet. It is queued before the write,
 * so a reply can only ever complete the oldest command (RFC 2920 keeps replies in command order).
 */
final class PendingCommand {

    final String name;
    final SmtpPhase phase;
    final Consumer<SmtpReply> onReply;
    /**
     * The read during which the command was queued (see the CommandWire), or -1 if it was queued
     * outside a read: a reply that came in that same read was received before the command was sent.
     */
    long queuedInRead = -1;

    PendingCommand(String name, SmtpPhase phase, Consumer<SmtpReply> onReply) {
        this.name = name;
        this.phase = phase;
        this.onReply = onReply;
    }

    @Override
    public String toString() {
        return name;
    }
}
