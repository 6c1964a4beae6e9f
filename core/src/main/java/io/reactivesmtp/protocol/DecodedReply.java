package io.reactivesmtp.protocol;

import io.netty.handler.codec.smtp.SmtpResponse;
import io.reactivesmtp.SmtpReply;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What {@link SmtpReplyDecoder} emits: an {@link SmtpResponse} for handlers that watch replies (a probe, a test)
 * that carries the {@link SmtpReply} the session handler reads, made once from the decoded lines. Every reply of
 * every message passes here: Netty's {@code DefaultSmtpResponse} would cost an array and two list wrappers more,
 * and {@code SmtpReply.of(SmtpResponse)} another array and list.
 *
 * <p>Equal to any {@code SmtpResponse} with the same code and lines, as {@code DefaultSmtpResponse} is.
 */
final class DecodedReply implements SmtpResponse {

    private final SmtpReply reply;

    DecodedReply(SmtpReply reply) {
        this.reply = reply;
    }

    SmtpReply reply() {
        return reply;
    }

    @Override
    public int code() {
        return reply.code();
    }

    @Override
    public List<CharSequence> details() {
        return Collections.unmodifiableList(reply.lines());
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (!(o instanceof SmtpResponse)) {
            return false;
        }
        SmtpResponse other = (SmtpResponse) o;
        List<CharSequence> theirs = other.details();
        List<String> ours = reply.lines();
        if (other.code() != code() || theirs.size() != ours.size()) {
            return false;
        }
        for (int i = 0; i < ours.size(); i++) {
            if (!ours.get(i).contentEquals(theirs.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(code(), reply.lines());
    }

    @Override
    public String toString() {
        return "DecodedReply{" + reply + '}';
    }
}
