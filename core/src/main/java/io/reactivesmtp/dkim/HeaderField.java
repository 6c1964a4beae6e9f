package io.reactivesmtp.dkim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One header field as it appears in the message, folding and final CRLF included. Bytes are kept as ISO-8859-1
 * characters, one per byte, so 8-bit header bytes survive canonicalisation unchanged.
 */
final class HeaderField {

    private final String raw;
    private final String lowerName;

    private HeaderField(String raw) {
        this.raw = raw;
        int colon = raw.indexOf(':');
        String name = colon < 0 ? raw : raw.substring(0, colon);
        this.lowerName = trimWsp(name).toLowerCase(Locale.ROOT);
    }

    /**
     * Splits a CRLF-normalised header block into fields: a line that starts with a space or tab continues the
     * field above it.
     */
    static List<HeaderField> parse(byte[] block) {
        String text = new String(block, StandardCharsets.ISO_8859_1);
        List<HeaderField> fields = new ArrayList<>();
        int start = 0;
        int pos = 0;
        while (pos < text.length()) {
            int eol = text.indexOf("\r\n", pos);
            int next = eol < 0 ? text.length() : eol + 2;
            boolean continues = next < text.length() && (text.charAt(next) == ' ' || text.charAt(next) == '\t');
            if (!continues) {
                fields.add(new HeaderField(text.substring(start, next)));
                start = next;
            }
            pos = next;
        }
        return fields;
    }

    /** Wraps one field's text (for the signature header itself and for tests). */
    static HeaderField of(String raw) {
        return new HeaderField(raw);
    }

    String lowerName() {
        return lowerName;
    }

    String raw() {
        return raw;
    }

    /**
     * The field in a canonicalisation, with its final CRLF (RFC 6376 section 3.4.1 and 3.4.2). Relaxed:
     * name lower-cased, unfolded, whitespace runs as one space, no whitespace at the end of the value or around
     * the colon.
     */
    String canonical(DkimCanonicalization c) {
        if (c == DkimCanonicalization.SIMPLE) {
            return raw.endsWith("\r\n") ? raw : raw + "\r\n";
        }
        int colon = raw.indexOf(':');
        String value = colon < 0 ? "" : raw.substring(colon + 1);
        StringBuilder out = new StringBuilder(raw.length()).append(lowerName).append(':');
        boolean space = false;
        boolean started = false;
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch == '\r' || ch == '\n') {
                continue; // unfold
            }
            if (ch == ' ' || ch == '\t') {
                space = true;
                continue;
            }
            if (space && started) {
                out.append(' ');
            }
            space = false;
            started = true;
            out.append(ch);
        }
        return out.append("\r\n").toString();
    }

    private static String trimWsp(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && (s.charAt(b) == ' ' || s.charAt(b) == '\t')) {
            b++;
        }
        while (e > b && (s.charAt(e - 1) == ' ' || s.charAt(e - 1) == '\t')) {
            e--;
        }
        return s.substring(b, e);
    }
}
