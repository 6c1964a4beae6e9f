package io.reactivesmtp.mime;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.reactivesmtp.internal.content.Base64Encoder;
import io.reactivesmtp.internal.content.ConcatSource.Segment;
import io.reactivesmtp.internal.content.ContentThreads;
import io.reactivesmtp.internal.content.FileSource;
import io.reactivesmtp.internal.content.QuotedPrintableEncoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Lays out a message's body as MIME parts: text, HTML or both ({@code multipart/alternative}), inline parts with it
 * ({@code multipart/related}), attachments around it ({@code multipart/mixed}); then writes it as the segments a
 * {@link io.reactivesmtp.internal.content.ConcatSource} streams: literal bytes (part headers, boundaries) and
 * encoded contents.
 */
final class BodyLayout {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] BOUNDARY_CHARS =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    /** A body of text: a string known in advance, or a UTF-8 file streamed. */
    record Text(String subtype, String text, Path file) {
    }

    private sealed interface Part permits Leaf, Multi {
    }

    /**
     * A part with content: its header fields (Content-Type, Content-Transfer-Encoding...) and its body.
     *
     * @param encodedSize the size of an encoded body as it will stream, or -1 when not known in advance (0 for a
     *                    literal body, counted as a literal)
     */
    private record Leaf(String headers, Segment body, long encodedSize) implements Part {
    }

    private record Multi(String subtype, String boundary, List<Part> parts) implements Part {
    }

    private final boolean utf8;
    private final boolean eightBitAllowed;
    private final ByteArrayOutputStream literal = new ByteArrayOutputStream();
    private final List<Segment> segments = new ArrayList<>();
    private boolean eightBit;
    private boolean reopenable = true;
    /** The encoded parts' sizes, summed; -1 once one is not known in advance. */
    private long encodedSize;

    /**
     * @param utf8 headers as UTF-8 (SMTPUTF8)
     * @param eightBitAllowed text that is not ASCII may go as 8bit rather than quoted-printable
     */
    BodyLayout(boolean utf8, boolean eightBitAllowed) {
        this.utf8 = utf8;
        this.eightBitAllowed = eightBitAllowed;
    }

    /**
     * Writes the body: the root part's header fields (to end the message's header block), the blank line, the rest.
     *
     * @return the segments of the body, to follow the message's own header fields
     */
    List<Segment> write(List<Text> texts, List<Attachment> inline, List<Attachment> attachments) {
        Part body = texts.isEmpty() ? text(new Text("plain", "", null))
                : texts.size() == 1 ? text(texts.get(0))
                : new Multi("alternative", boundary(), texts.stream().map(this::text).toList());
        if (!inline.isEmpty()) {
            List<Part> related = new ArrayList<>();
            related.add(body);
            inline.forEach(a -> related.add(file(a)));
            body = new Multi("related", boundary(), related);
        }
        if (!attachments.isEmpty()) {
            List<Part> mixed = new ArrayList<>();
            mixed.add(body);
            attachments.forEach(a -> mixed.add(file(a)));
            body = new Multi("mixed", boundary(), mixed);
        }
        emit(body);
        if (body instanceof Multi) {
            text("\r\n"); // a single part ends as its content does; the DATA encoder ends the last line
        }
        flush();
        return List.copyOf(segments);
    }

    /**
     * @return the size of what {@link #write} returned when every part's size is known in advance (arrays, files),
     *     else empty (a publisher, a text file)
     */
    OptionalLong size() {
        if (encodedSize < 0) {
            return OptionalLong.empty();
        }
        long size = encodedSize;
        for (Segment s : segments) {
            size += s.literal() == null ? 0 : s.literal().length;
        }
        return OptionalLong.of(size);
    }

    /**
     * @param size bytes before encoding
     * @return what {@link Base64Encoder} makes of them: lines of 76 characters, CRLF between lines, none after
     */
    static long base64Size(long size) {
        if (size <= 0) {
            return 0;
        }
        long lines = (size + 56) / 57;
        return 4 * ((size + 2) / 3) + 2 * (lines - 1);
    }

    /** @return whether any part went as 8bit */
    boolean eightBit() {
        return eightBit;
    }

    /** @return whether every part can be read twice per send (not a publisher) */
    boolean reopenable() {
        return reopenable;
    }

    private void emit(Part part) {
        if (part instanceof Leaf leaf) {
            text(leaf.headers());
            text("\r\n");
            if (leaf.body().literal() != null) {
                literal.writeBytes(leaf.body().literal());
            } else {
                flush();
                segments.add(leaf.body());
                encodedSize = encodedSize < 0 || leaf.encodedSize() < 0 ? -1 : encodedSize + leaf.encodedSize();
            }
            return;
        }
        Multi multi = (Multi) part;
        text(new HeaderWriter(utf8).withParameters("Content-Type", "multipart/" + multi.subtype(),
                List.<String[]>of(new String[] {"boundary", multi.boundary()})).toString());
        text("\r\n");
        for (Part child : multi.parts()) {
            text("--" + multi.boundary() + "\r\n");
            emit(child);
            text("\r\n");
        }
        text("--" + multi.boundary() + "--");
    }

    private Part text(Text text) {
        HeaderWriter headers = new HeaderWriter(utf8).withParameters("Content-Type", "text/" + text.subtype(),
                List.<String[]>of(new String[] {"charset", "utf-8"}));
        if (text.file() != null) {
            Path file = text.file();
            headers.structured("Content-Transfer-Encoding", "quoted-printable");
            return new Leaf(headers.toString(), Segment.encoded(() -> new FileSource(file, ContentThreads.fileOpens()),
                    QuotedPrintableEncoder::new), -1);
        }
        byte[] bytes = canonical(text.text()).getBytes(StandardCharsets.UTF_8);
        boolean ascii = true;
        int longest = 0;
        for (int i = 0, line = 0; i < bytes.length; i++) {
            ascii &= bytes[i] > 0;
            line = bytes[i] == '\n' ? 0 : line + 1;
            longest = Math.max(longest, line);
        }
        // A line starting with "--" could be taken for a boundary: such text goes quoted-printable too.
        boolean dashes = text.text().startsWith("--") || text.text().contains("\n--");
        boolean asIs = longest <= HeaderWriter.MAX_LINE_OCTETS && !dashes && (ascii || eightBitAllowed);
        if (asIs) {
            eightBit |= !ascii;
            headers.structured("Content-Transfer-Encoding", ascii ? "7bit" : "8bit");
            return new Leaf(headers.toString(), Segment.literal(bytes), 0);
        }
        headers.structured("Content-Transfer-Encoding", "quoted-printable");
        // Text in memory is encoded once, here: its size is then known (SIZE), and each send copies no more.
        return new Leaf(headers.toString(), Segment.literal(quotedPrintable(bytes)), 0);
    }

    private Part file(Attachment a) {
        reopenable &= a.reopenable();
        List<String[]> name = List.<String[]>of(new String[] {"name", a.fileName()});
        List<String[]> fileName = List.<String[]>of(new String[] {"filename", a.fileName()});
        HeaderWriter headers = new HeaderWriter(utf8)
                .withParameters("Content-Type", a.contentType(), name)
                .structured("Content-Transfer-Encoding", "base64")
                .withParameters("Content-Disposition", a.contentId() == null ? "attachment" : "inline", fileName);
        if (a.contentId() != null) {
            headers.structured("Content-ID", "<" + a.contentId() + ">");
        }
        return new Leaf(headers.toString(), Segment.encoded(a.opener(), Base64Encoder::new),
                a.size() < 0 ? -1 : base64Size(a.size()));
    }

    private static byte[] quotedPrintable(byte[] text) {
        QuotedPrintableEncoder qp = new QuotedPrintableEncoder();
        ByteBuf body = qp.encode(Unpooled.wrappedBuffer(text), UnpooledByteBufAllocator.DEFAULT);
        ByteBuf end = qp.finish(UnpooledByteBufAllocator.DEFAULT);
        try {
            byte[] out = new byte[body.readableBytes() + end.readableBytes()];
            body.readBytes(out, 0, body.readableBytes());
            end.readBytes(out, out.length - end.readableBytes(), end.readableBytes());
            return out;
        } finally {
            body.release();
            end.release();
        }
    }

    /** Text's canonical form (RFC 2045): every line break, CR, LF or CRLF, as CRLF. */
    static String canonical(String text) {
        return text.replace("\r\n", "\n").replace('\r', '\n').replace("\n", "\r\n");
    }

    private void text(String s) {
        literal.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    private void flush() {
        if (literal.size() > 0) {
            segments.add(Segment.literal(literal.toByteArray()));
            literal.reset();
        }
    }

    private static String boundary() {
        StringBuilder b = new StringBuilder("=_rsmtp_");
        for (int i = 0; i < 24; i++) {
            b.append(BOUNDARY_CHARS[RANDOM.nextInt(BOUNDARY_CHARS.length)]);
        }
        return b.toString();
    }
}
