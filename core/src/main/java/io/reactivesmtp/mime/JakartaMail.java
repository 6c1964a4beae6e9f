package io.reactivesmtp.mime;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * For users migrating from Jakarta Mail: sends a {@link MimeMessage} they already build. Needs
 * {@code jakarta.mail:jakarta.mail-api} and an implementation (Angus Mail) on the class path; core declares it
 * optional, so only those who call this class need it.
 *
 * <pre>{@code
 * MimeMessage mime = ...;                       // built as before
 * ComposedMessage message = JakartaMail.compose(mime);
 * client.send(message.envelope(), message.content());
 * }</pre>
 *
 * <p>Unlike {@link ComposedMessage#builder()}, the message is written to memory once, when adapted (Jakarta Mail
 * writes to a blocking {@code OutputStream}, which an event loop cannot wait on): a message with a very large
 * attachment is better built with the builder, which streams it.
 */
public final class JakartaMail {

    /** What Jakarta Mail's own SMTP transport leaves out of the written message. */
    private static final String[] NOT_WRITTEN = {"Bcc", "Content-Length"};

    private JakartaMail() {
    }

    /**
     * The message's envelope and content. Calls {@link MimeMessage#saveChanges()} first, as Jakarta Mail's
     * {@code Transport.send} does (it sets Message-ID and the encodings), then writes the message without its Bcc
     * field. The envelope's sender is the Sender field, else the first From address; its recipients are the To,
     * Cc and Bcc addresses (RFC 822 ones; newsgroups are not mail recipients).
     *
     * @param message the message
     * @return the message as this client sends it
     * @throws IllegalArgumentException naming the field if the message has no From, no recipient or an address
     *                                  that is not valid here, or if Jakarta Mail cannot write it
     */
    public static ComposedMessage compose(MimeMessage message) {
        Objects.requireNonNull(message, "message");
        try {
            message.saveChanges();
            Envelope envelope = envelope(message);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            message.writeTo(out, NOT_WRITTEN);
            byte[] bytes = out.toByteArray();
            String id = message.getMessageID();
            return new ComposedMessage(envelope, MessageContent.of(bytes), id != null ? id : "(none)", bytes);
        } catch (MessagingException | IOException e) {
            throw new IllegalArgumentException("MimeMessage: Jakarta Mail cannot write it: " + e.getMessage(), e);
        }
    }

    /**
     * @param message the message
     * @return its content as {@link #compose(MimeMessage)} writes it
     */
    public static MessageContent content(MimeMessage message) {
        return compose(message).content();
    }

    private static Envelope envelope(MimeMessage message) throws MessagingException {
        Address sender = message.getSender();
        if (sender == null) {
            Address[] from = message.getFrom();
            sender = from == null || from.length == 0 ? null : from[0];
        }
        if (sender == null) {
            throw new IllegalArgumentException("header From: missing in the MimeMessage (setFrom(..))");
        }
        Set<MailAddress> recipients = new LinkedHashSet<>();
        Address[] all = message.getAllRecipients();
        for (Address a : all == null ? new Address[0] : all) {
            if (a instanceof InternetAddress internet) {
                recipients.add(address("recipient", internet));
            }
        }
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipient: the MimeMessage has no To, Cc or Bcc address");
        }
        return Envelope.builder().from(address("From", sender)).to(new ArrayList<>(recipients)).build();
    }

    private static MailAddress address(String field, Address address) {
        if (!(address instanceof InternetAddress internet) || internet.isGroup()) {
            throw new IllegalArgumentException("header " + field + ": " + address + " is not a mailbox address");
        }
        try {
            return MailAddress.of(internet.getAddress());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("header " + field + ": " + e.getMessage(), e);
        }
    }
}
