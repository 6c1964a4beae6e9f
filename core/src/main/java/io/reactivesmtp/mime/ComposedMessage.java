package io.reactivesmtp.mime;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import java.util.Objects;

/**
 * A message built by {@link MessageBuilder}: the envelope it goes to and its content, which streams its parts
 * (encoded as they are read) at each send. Send it as any other message:
 *
 * <pre>{@code
 * ComposedMessage message = ComposedMessage.builder()
 *         .from("Newsletter", "news@example.com")
 *         .to("jane@example.org")
 *         .subject("Ünïcode subjects are fine")
 *         .text("Hello Jane")
 *         .html("<p>Hello <b>Jane</b></p>")
 *         .attach(Attachment.of(Path.of("report.pdf"), "application/pdf"))
 *         .build();
 * session.send(message.envelope(), message.content());
 * }</pre>
 *
 * @param envelope who receives it (To, Cc and Bcc unless given), and the reverse path
 * @param content the RFC 5322 message, streamed
 * @param messageId the Message-ID field's value, with its angle brackets
 */
public record ComposedMessage(Envelope envelope, MessageContent content, String messageId) {

    /** Checks that every component is there. */
    public ComposedMessage {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(messageId, "messageId");
    }

    /** @return a new builder */
    public static MessageBuilder builder() {
        return new MessageBuilder();
    }
}
