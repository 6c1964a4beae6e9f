package io.reactivesmtp.mime;

import io.reactivesmtp.BodyType;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.internal.content.ConcatSource;
import io.reactivesmtp.internal.content.ConcatSource.Segment;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a {@link ComposedMessage}: header fields, text and HTML bodies, attachments and inline parts. Every input
 * is checked when it is given, naming the header; {@link #build()} checks the whole and never reads a file or
 * subscribes a publisher (the content streams at each send). Not thread-safe; one builder per message.
 *
 * <p>Bcc recipients go to the envelope only, never into the header. Date and Message-ID are generated when not
 * given. Non-ASCII text goes as RFC 2047 encoded words, or as UTF-8 with {@link #smtpUtf8(boolean)}; file names as
 * RFC 2231 parameters. Text is sent 7bit when it is ASCII with short lines, 8bit when it is not and
 * {@link #eightBitMime(boolean)} allows it, quoted-printable otherwise; attachments base64. The content's
 * {@link MessageContent#size()} is known (and declared with SIZE) when every part's is: text given as a string,
 * attachments from arrays and files; a publisher or a text file leaves it unknown.
 */
public final class MessageBuilder {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);
    private static final Pattern MESSAGE_ID = Pattern.compile("[!#-;=?-~&&[^<>]]+@[!#-;=?-~&&[^<>]]+");
    private static final Set<String> BUILT_IN = Set.of("from", "sender", "reply-to", "to", "cc", "bcc", "subject",
            "date", "message-id", "mime-version", "content-type", "content-transfer-encoding", "content-disposition",
            "content-id", "list-unsubscribe", "list-unsubscribe-post", "return-path");
    private static final SecureRandom RANDOM = new SecureRandom();

    private Mailbox from;
    private Mailbox sender;
    private final List<Mailbox> replyTo = new ArrayList<>();
    private final List<Mailbox> to = new ArrayList<>();
    private final List<Mailbox> cc = new ArrayList<>();
    private final List<MailAddress> bcc = new ArrayList<>();
    private String subject;
    private ZonedDateTime date;
    private String messageId;
    private final List<String[]> headers = new ArrayList<>();
    private final List<BodyLayout.Text> texts = new ArrayList<>();
    private final List<Attachment> inline = new ArrayList<>();
    private final List<Attachment> attachments = new ArrayList<>();
    private boolean smtpUtf8;
    private boolean eightBitMime;
    private MailAddress envelopeFrom;
    private String listUnsubscribe;
    private Envelope envelope;

    MessageBuilder() {
    }

    /** @return this, with the author (From) */
    public MessageBuilder from(String address) {
        this.from = mailbox("From", null, address);
        return this;
    }

    /** @return this, with the author (From) and the name shown for it */
    public MessageBuilder from(String displayName, String address) {
        this.from = mailbox("From", displayName, address);
        return this;
    }

    /** @return this, with the Sender (who sends on the author's behalf) */
    public MessageBuilder sender(String displayName, String address) {
        this.sender = mailbox("Sender", displayName, address);
        return this;
    }

    /** @return this, with one more Reply-To address */
    public MessageBuilder replyTo(String displayName, String address) {
        replyTo.add(mailbox("Reply-To", displayName, address));
        return this;
    }

    /** @return this, with more To recipients (header and envelope) */
    public MessageBuilder to(String... addresses) {
        for (String a : addresses) {
            to.add(mailbox("To", null, a));
        }
        return this;
    }

    /**
     * One more To recipient with the name shown for it. (Not an overload of {@link #to(String...)}: with two
     * strings that would be two addresses, as {@code Envelope.Builder.to} takes them.)
     *
     * @return this
     */
    public MessageBuilder toNamed(String displayName, String address) {
        to.add(mailbox("To", displayName, address));
        return this;
    }

    /** @return this, with more Cc recipients (header and envelope) */
    public MessageBuilder cc(String... addresses) {
        for (String a : addresses) {
            cc.add(mailbox("Cc", null, a));
        }
        return this;
    }

    /** @return this, with more Bcc recipients: envelope only, never in the header */
    public MessageBuilder bcc(String... addresses) {
        for (String a : addresses) {
            bcc.add(mailbox("Bcc", null, a).address());
        }
        return this;
    }

    /** @return this, with the Subject (any Unicode; no control characters) */
    public MessageBuilder subject(String subject) {
        HeaderWriter.checkValue("Subject", subject);
        this.subject = subject;
        return this;
    }

    /** @return this, with the Date (now when not given) */
    public MessageBuilder date(ZonedDateTime date) {
        this.date = Objects.requireNonNull(date, "date");
        return this;
    }

    /**
     * @param id {@code left@right} without angle brackets (generated from the From domain when not given)
     * @return this
     */
    public MessageBuilder messageId(String id) {
        if (id == null || !MESSAGE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("header Message-ID: " + id
                    + " is not an id of the form left@right in printable ASCII without <, > or spaces");
        }
        this.messageId = id;
        return this;
    }

    /**
     * Adds a header field of the caller's own (List-Id, X-Campaign...). The fields the builder writes itself (From,
     * To, Subject, Content-Type...) are refused here: use their methods.
     *
     * @return this
     * @throws IllegalArgumentException naming the header if the name or value holds CR, LF, NUL or controls
     */
    public MessageBuilder header(String name, String value) {
        HeaderWriter.checkName(name);
        HeaderWriter.checkValue(name, value);
        if (BUILT_IN.contains(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("header " + name + ": written by the builder; use its own method");
        }
        headers.add(new String[] {name, value});
        return this;
    }

    /**
     * One-click unsubscribe (RFC 8058): writes {@code List-Unsubscribe: <https...>, <mailto...>} and
     * {@code List-Unsubscribe-Post: List-Unsubscribe=One-Click}, which Gmail and Yahoo require of bulk senders, signed
     * by DKIM's default header set. The https URI must carry what identifies the recipient and the list, since the
     * receiver's POST to it has no other parameter.
     *
     * @param https the one-click URI: absolute, {@code https}, with a host
     * @param mailto a {@code mailto:} URI as well, or null
     * @return this
     * @throws IllegalArgumentException naming List-Unsubscribe if the https URI is missing or not https, or a URI
     *                                  is not usable in the header
     */
    public MessageBuilder listUnsubscribe(String https, String mailto) {
        URI web = uri(https);
        if (web == null || !"https".equalsIgnoreCase(web.getScheme()) || web.getHost() == null) {
            throw new IllegalArgumentException("header List-Unsubscribe: one-click unsubscribe needs an https URI "
                    + "with a host (RFC 8058 section 3.1), not " + https);
        }
        URI mail = uri(mailto);
        if (mail != null && !"mailto".equalsIgnoreCase(mail.getScheme())) {
            throw new IllegalArgumentException("header List-Unsubscribe: " + mailto + " is not a mailto: URI");
        }
        this.listUnsubscribe = "<" + web.toASCIIString() + ">" + (mail == null ? "" : ", <" + mail.toASCIIString() + ">");
        return this;
    }

    private static URI uri(String value) {
        if (value == null) {
            return null;
        }
        HeaderWriter.checkValue("List-Unsubscribe", value);
        try {
            URI uri = new URI(value);
            if (!uri.isAbsolute() || uri.toASCIIString().matches(".*[<>,\\s].*")) {
                throw new IllegalArgumentException("header List-Unsubscribe: " + value
                        + " is not an absolute URI without <, >, commas or spaces");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("header List-Unsubscribe: " + value + " is not a URI (" + e.getReason()
                    + ")", e);
        }
    }

    /** @return this, with a text/plain body (line breaks sent as CRLF) */
    public MessageBuilder text(String text) {
        return body(new BodyLayout.Text("plain", Objects.requireNonNull(text, "text"), null));
    }

    /** @return this, with a text/plain body streamed from a UTF-8 file at each send (quoted-printable) */
    public MessageBuilder text(Path file) {
        return body(new BodyLayout.Text("plain", null, readable(file)));
    }

    /** @return this, with a text/html body (with a text body: multipart/alternative) */
    public MessageBuilder html(String html) {
        return body(new BodyLayout.Text("html", Objects.requireNonNull(html, "html"), null));
    }

    /** @return this, with a text/html body streamed from a UTF-8 file at each send (quoted-printable) */
    public MessageBuilder html(Path file) {
        return body(new BodyLayout.Text("html", null, readable(file)));
    }

    /** @return this, with an attachment, or an inline part if it has a Content-ID ({@link Attachment#inline}) */
    public MessageBuilder attach(Attachment attachment) {
        Objects.requireNonNull(attachment, "attachment");
        (attachment.contentId() == null ? attachments : inline).add(attachment);
        return this;
    }

    /**
     * @param utf8 true to write non-ASCII header text and addresses as UTF-8 (RFC 6532); the message must then go
     *             to a server with SMTPUTF8. False (the default) writes RFC 2047 encoded words.
     * @return this
     */
    public MessageBuilder smtpUtf8(boolean utf8) {
        this.smtpUtf8 = utf8;
        return this;
    }

    /** @param allowed true to send non-ASCII text as 8bit rather than quoted-printable (needs 8BITMIME); @return this */
    public MessageBuilder eightBitMime(boolean allowed) {
        this.eightBitMime = allowed;
        return this;
    }

    /** @return this, with the envelope's reverse path (where bounces go: the Return-Path) instead of From */
    public MessageBuilder envelopeFrom(String address) {
        this.envelopeFrom = mailbox("envelope from", null, address).address();
        return this;
    }

    /** @return this, with an envelope of the caller's instead of the one derived from From, To, Cc and Bcc */
    public MessageBuilder envelope(Envelope envelope) {
        this.envelope = Objects.requireNonNull(envelope, "envelope");
        return this;
    }

    /**
     * Builds the message. Reads no file and subscribes no publisher: the parts stream at each send.
     *
     * @return the envelope and the content
     * @throws IllegalArgumentException if From is missing, there is no recipient, or a header cannot be written
     */
    public ComposedMessage build() {
        if (from == null) {
            throw new IllegalArgumentException("header From: missing (call from(..))");
        }
        if (envelope == null && to.isEmpty() && cc.isEmpty() && bcc.isEmpty()) {
            throw new IllegalArgumentException("no recipient: add To, Cc or Bcc, or give an envelope");
        }
        String id = "<" + (messageId != null ? messageId : generatedId()) + ">";
        HeaderWriter head = new HeaderWriter(smtpUtf8)
                .structured("Date", DATE.format(date != null ? date : ZonedDateTime.now()))
                .mailboxes("From", List.of(from));
        if (sender != null) {
            head.mailboxes("Sender", List.of(sender));
        }
        head.mailboxes("Reply-To", replyTo).mailboxes("To", to).mailboxes("Cc", cc);
        if (subject != null) {
            head.text("Subject", subject);
        }
        head.structured("Message-ID", id);
        if (listUnsubscribe != null) {
            head.structured("List-Unsubscribe", listUnsubscribe)
                    .structured("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }
        for (String[] h : headers) {
            head.text(h[0], h[1]);
        }
        head.structured("MIME-Version", "1.0");
        BodyLayout layout = new BodyLayout(smtpUtf8, eightBitMime || smtpUtf8);
        List<Segment> segments = new ArrayList<>();
        byte[] header = head.bytes();
        segments.add(Segment.literal(header));
        segments.addAll(layout.write(texts, inline, attachments));
        List<Segment> all = List.copyOf(segments);
        boolean eightBit = layout.eightBit() || (smtpUtf8 && !head.toString().chars().allMatch(c -> c < 128));
        OptionalLong bodySize = layout.size();
        OptionalLong size = bodySize.isPresent() ? OptionalLong.of(header.length + bodySize.getAsLong())
                : OptionalLong.empty();
        MessageContent content = MessageContent.ofSource(() -> new ConcatSource(all), size,
                eightBit ? BodyType.EIGHT_BIT : BodyType.SEVEN_BIT, layout.reopenable(),
                "composed " + id + ", " + (attachments.size() + inline.size()) + " attachments");
        return new ComposedMessage(envelope != null ? envelope : derivedEnvelope(), content, id, header);
    }

    private Envelope derivedEnvelope() {
        Set<MailAddress> recipients = new LinkedHashSet<>();
        to.forEach(m -> recipients.add(m.address()));
        cc.forEach(m -> recipients.add(m.address()));
        recipients.addAll(bcc);
        return Envelope.builder().from(envelopeFrom != null ? envelopeFrom : from.address())
                .to(List.copyOf(recipients)).build();
    }

    private String generatedId() {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random) + "@" + from.address().asciiDomain();
    }

    private MessageBuilder body(BodyLayout.Text text) {
        if (texts.stream().anyMatch(t -> t.subtype().equals(text.subtype()))) {
            throw new IllegalArgumentException("the message already has a text/" + text.subtype() + " body");
        }
        texts.add(text);
        texts.sort((a, b) -> a.subtype().equals("plain") ? -1 : b.subtype().equals("plain") ? 1 : 0);
        return this;
    }

    private static Path readable(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("body file is not a readable regular file: " + file);
        }
        return file;
    }

    private static Mailbox mailbox(String header, String displayName, String address) {
        try {
            if (displayName != null) {
                HeaderWriter.checkValue(header, displayName);
            }
            return new Mailbox(displayName, MailAddress.of(address));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("header " + header + ": " + e.getMessage(), e);
        }
    }
}
