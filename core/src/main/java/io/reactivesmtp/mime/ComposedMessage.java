package io.reactivesmtp.mime;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import java.util.Objects;

/**
 * A message built by {@link MessageBuilder}: the envelope it goes to and its content, which streams its parts
 * (encoded as they are read) at each send. Send it as any other message. Immutable.
 *
 * <pre>{@code
 * ComposedMessage message = ComposedMessage.builder()
 *         .from("Newsletter", "news@example.com")
 *         .to("jane@example.org")
 *         .subject("Ünïcode subjects are fine")
 *         .text("Hello Jane")
 *         .html("<p>Hello <b>Jane</b></p>")
 *         .attach(Attachment.of(Path.of("report.pdf"), "application/pdf"))
 *         .listUnsubscribe("https://example.com/unsubscribe?id=42", "mailto:unsubscribe@example.com")
 *         .build();
 * session.send(message.envelope(), message.content().signedWith(dkimSigner));
 * }</pre>
 */
public final class ComposedMessage {

    private final Envelope envelope;
    private final MessageContent content;
    private final String messageId;
    private final byte[] header;

    ComposedMessage(Envelope envelope, MessageContent content, String messageId, byte[] header) {
        this.envelope = Objects.requireNonNull(envelope, "envelope");
        this.content = Objects.requireNonNull(content, "content");
        this.messageId = Objects.requireNonNull(messageId, "messageId");
        this.header = header;
    }

    /** @return a new builder */
    public static MessageBuilder builder() {
        return new MessageBuilder();
    }

    /** @return who receives it (To, Cc and Bcc unless an envelope was given) and the reverse path */
    public Envelope envelope() {
        return envelope;
    }

    /** @return the RFC 5322 message, streamed at each send */
    public MessageContent content() {
        return content;
    }

    /** @return the Message-ID field's value, with its angle brackets */
    public String messageId() {
        return messageId;
    }

    /** The message's own header fields (without the root part's Content-Type), for {@link MessageLint}. */
    byte[] header() {
        return header;
    }

    @Override
    public String toString() {
        return "ComposedMessage[" + messageId + ", " + envelope + ", " + content + "]";
    }
}
