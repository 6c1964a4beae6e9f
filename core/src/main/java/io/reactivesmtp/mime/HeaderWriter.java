package io.reactivesmtp.mime;

import io.reactivesmtp.MailAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.james.mime4j.codec.EncoderUtil;
import org.apache.james.mime4j.util.MimeUtil;

/**
 * Writes header fields: validates names and values, encodes non-ASCII text as RFC 2047 encoded words (mime4j's
 * encoder) or leaves it as UTF-8 when the message goes with SMTPUTF8 (RFC 6532), folds lines (mime4j's folder,
 * at most 78 characters where whitespace allows, never over 998 octets) and writes parameters per RFC 2231.
 */
final class HeaderWriter {

    /** RFC 5322 section 2.1.1: the hard limit of a line, without its CRLF. */
    static final int MAX_LINE_OCTETS = 998;
    private static final int FOLD_AT = 78;
    /** RFC 2231 attribute-char: what a parameter value may hold unescaped. */
    private static final String ATTRIBUTE_CHARS = "!#$&+-.^_`|~";

    private final boolean utf8;
    private final StringBuilder out = new StringBuilder(512);

    /** @param utf8 true to leave non-ASCII text as UTF-8 (the message must go with SMTPUTF8) */
    HeaderWriter(boolean utf8) {
        this.utf8 = utf8;
    }

    /**
     * @throws IllegalArgumentException naming the header if the name is empty or holds anything but printable ASCII
     *                                  other than ':'
     */
    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("header name is empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 33 || c > 126 || c == ':') {
                throw new IllegalArgumentException("header name " + show(name) + " contains " + describe(c)
                        + " (only printable ASCII other than ':' is allowed)");
            }
        }
    }

    /** @throws IllegalArgumentException naming the header if the value holds CR, LF, NUL or another control */
    static void checkValue(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("header " + name + ": the value is null");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 32 && c != '\t') || c == 127 || (c >= 0x80 && c < 0xA0)) {
                throw new IllegalArgumentException("header " + name + ": the value contains " + describe(c)
                        + " at index " + i + " (no CR, LF, NUL or other control characters)");
            }
        }
    }

    /** Free text (Subject, custom headers): encoded words where needed, folded. */
    HeaderWriter text(String name, String value) {
        checkName(name);
        checkValue(name, value);
        int used = Math.min(name.length() + 2, 50);
        String encoded = !utf8 && EncoderUtil.hasToBeEncoded(value, used)
                ? EncoderUtil.encodeEncodedWord(value, EncoderUtil.Usage.TEXT_TOKEN, used, StandardCharsets.UTF_8, null)
                : value;
        return line(name, MimeUtil.fold(encoded, name.length() + 2));
    }

    /** A value already in its wire form (ASCII, or UTF-8 under SMTPUTF8), folded at its whitespace. */
    HeaderWriter structured(String name, String value) {
        checkValue(name, value);
        return line(name, MimeUtil.fold(value, name.length() + 2));
    }

    /** A list of mailboxes, one per line when they do not fit on one. */
    HeaderWriter mailboxes(String name, List<Mailbox> boxes) {
        if (boxes.isEmpty()) {
            return this;
        }
        StringBuilder value = new StringBuilder();
        int column = name.length() + 2;
        for (int i = 0; i < boxes.size(); i++) {
            String box = mailbox(name, boxes.get(i));
            if (i > 0) {
                value.append(',');
                column++;
                if (column + 1 + box.length() > FOLD_AT) {
                    value.append("\r\n");
                    column = 0;
                }
                value.append(' ');
                column++;
            }
            value.append(MimeUtil.fold(box, column));
            int lastBreak = value.lastIndexOf("\n");
            column = lastBreak < 0 ? column + box.length() : value.length() - lastBreak - 1;
        }
        return line(name, value.toString());
    }

    /** A header whose value is a token followed by parameters (Content-Type, Content-Disposition). */
    HeaderWriter withParameters(String name, String token, List<String[]> parameters) {
        StringBuilder value = new StringBuilder(token);
        int column = name.length() + 2 + token.length();
        for (String[] p : parameters) {
            checkValue(name, p[1]);
            for (String part : parameter(p[0], p[1])) {
                boolean fits = column + 2 + part.length() <= FOLD_AT;
                value.append(fits ? "; " : ";\r\n ").append(part);
                column = (fits ? column + 2 : 1) + part.length();
            }
        }
        return line(name, value.toString());
    }

    /** @return one {@code name=value} or, for long non-ASCII values, several RFC 2231 continuations */
    List<String> parameter(String name, String value) {
        if (EncoderUtil.isToken(value)) {
            return List.of(name + "=" + value);
        }
        boolean ascii = value.chars().allMatch(c -> c < 128);
        if (ascii || utf8) {
            return List.of(name + "=\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        }
        StringBuilder encoded = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if (c < 128 && (Character.isLetterOrDigit(c) || ATTRIBUTE_CHARS.indexOf(c) >= 0)) {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        String all = "UTF-8''" + encoded;
        if (name.length() + 2 + all.length() <= 70) {
            return List.of(name + "*=" + all);
        }
        List<String> parts = new ArrayList<>();
        int start = 0;
        while (start < all.length()) {
            int end = Math.min(all.length(), start + 60);
            // Never split a %XX escape.
            if (end < all.length() && all.charAt(end - 1) == '%') {
                end--;
            } else if (end < all.length() && end >= 2 && all.charAt(end - 2) == '%') {
                end -= 2;
            }
            parts.add(name + "*" + parts.size() + "*=" + all.substring(start, end));
            start = end;
        }
        return parts;
    }

    /** @return the mailbox in its header form: a display name (quoted or encoded as needed) and the address */
    String mailbox(String header, Mailbox box) {
        MailAddress address = box.address();
        String spec;
        if (utf8) {
            spec = address.toString();
        } else if (address.requiresSmtpUtf8()) {
            throw new IllegalArgumentException("header " + header + ": the address " + address
                    + " has a non-ASCII local part, which needs smtpUtf8(true)");
        } else {
            spec = address.toAsciiForm();
        }
        if (box.displayName() == null) {
            return spec;
        }
        String display = box.displayName();
        checkValue(header, display);
        boolean ascii = display.chars().allMatch(c -> c < 128);
        String phrase;
        if (ascii && !EncoderUtil.hasToBeEncoded(display, 0)) {
            phrase = EncoderUtil.encodeAddressDisplayName(display); // an atom phrase, or quoted
        } else if (utf8) {
            phrase = "\"" + display.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        } else {
            phrase = EncoderUtil.encodeEncodedWord(display, EncoderUtil.Usage.WORD_ENTITY, 0, StandardCharsets.UTF_8,
                    null);
        }
        return phrase + " <" + spec + ">";
    }

    private HeaderWriter line(String name, String value) {
        String field = name + ": " + value;
        for (String physical : field.split("\r\n", -1)) {
            int octets = physical.getBytes(StandardCharsets.UTF_8).length;
            if (octets > MAX_LINE_OCTETS) {
                throw new IllegalArgumentException("header " + name + ": a line of " + octets
                        + " octets cannot be folded under " + MAX_LINE_OCTETS + " (add whitespace)");
            }
        }
        out.append(field).append("\r\n");
        return this;
    }

    /** @return the fields written, as bytes (UTF-8 only under SMTPUTF8; ASCII otherwise) */
    byte[] bytes() {
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return out.toString();
    }

    static String describe(char c) {
        return switch (c) {
            case '\r' -> "CR";
            case '\n' -> "LF";
            case 0 -> "NUL";
            default -> String.format("U+%04X", (int) c);
        };
    }

    private static String show(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.chars().forEach(c -> b.append(c < 32 || c == 127 ? String.format("\\u%04X", c) : String.valueOf((char) c)));
        return b.append('"').toString();
    }
}
