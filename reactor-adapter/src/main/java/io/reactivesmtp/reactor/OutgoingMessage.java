package io.reactivesmtp.reactor;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import java.util.Objects;

/**
 * One message to send: its envelope, its content, and an identifier of the caller's choosing that comes back
 * with its {@link MessageResult}, so results that arrive in completion order can be matched to their messages.
 *
 * <pre>{@code
 * OutgoingMessage m = OutgoingMessage.of("order-4711", Envelope.of("shop@example.com", "alice@example.com"),
 *         MessageContent.of(Path.of("confirmation-4711.eml")));
 * }</pre>
 */
public final class OutgoingMessage {

    private final Object id;
    private final Envelope envelope;
    private final MessageContent content;

    private OutgoingMessage(Object id, Envelope envelope, MessageContent content) {
        this.id = Objects.requireNonNull(id, "id");
        this.envelope = Objects.requireNonNull(envelope, "envelope");
        this.content = Objects.requireNonNull(content, "content");
    }

    /**
     * @param id the caller's identifier (a database key, a Kafka offset, ...); returned in the result
     * @param envelope who sends and who receives
     * @param content the RFC 5322 message
     * @return the message
     */
    public static OutgoingMessage of(Object id, Envelope envelope, MessageContent content) {
        return new OutgoingMessage(id, envelope, content);
    }

    /** @return the caller's identifier */
    public Object id() {
        return id;
    }

    /** @return the envelope */
    public Envelope envelope() {
        return envelope;
    }

    /** @return the content */
    public MessageContent content() {
        return content;
    }

    /**
     * @param envelope another envelope (for instance only the recipients left to retry)
     * @return the same message and id with that envelope
     */
    public OutgoingMessage withEnvelope(Envelope envelope) {
        return new OutgoingMessage(id, envelope, content);
    }

    @Override
    public String toString() {
        return "OutgoingMessage{" + id + ", " + envelope + ", " + content + "}";
    }
}
