package io.reactivesmtp.internal;

import io.netty.buffer.ByteBuf;

/**
 * The one rule for showing untrusted text (a server's reply, a user's input, a DNS name) in an error message, a log
 * line or a report: safe on one line, unambiguous, bounded.
 *
 * <ul>
 *   <li>{@code \r}, {@code \n}, {@code \t} and NUL are written {@code \r}, {@code \n}, {@code \t}, {@code \0};
 *       a backslash {@code \\}, a double quote {@code \"};</li>
 *   <li>every other character that could break a line or hide text is written {@code \}{@code uXXXX} (lower-case
 *       hex): C0 controls, DEL, C1 controls, the line and paragraph separators, format characters (bidirectional
 *       overrides, zero-width characters, the byte order mark) and unpaired surrogates;</li>
 *   <li>everything else, non-ASCII letters included, is kept;</li>
 *   <li>raw bytes of unknown charset ({@link #bytes}) keep printable ASCII and show every other byte, a backslash
 *       included, as {@code \xNN};</li>
 *   <li>at most {@link #MAX_CHARS} characters of input are shown, then {@code ... (N chars)}.</li>
 * </ul>
 * {@link #line} applies the same rule to text that stands on a line of its own, not inside quotes: there a quote
 * and a backslash need no escape, and up to {@link #MAX_LINE_CHARS} characters are shown.
 */
public final class SafeText {

    /** How much of a text is shown at most inside quotes. */
    public static final int MAX_CHARS = 300;

    /** How much of a text is shown at most on a line of its own. */
    public static final int MAX_LINE_CHARS = 2000;

    private SafeText() {
    }

    /**
     * @param s any text, possibly hostile; {@code null} gives {@code null}
     * @return the text escaped by the rule above, cut after {@link #MAX_CHARS} characters
     */
    public static String escape(CharSequence s) {
        return render(s, true, MAX_CHARS);
    }

    /**
     * The same rule for text shown on a line of its own rather than inside quotes (a command's error line, a
     * server's reply in a report): a double quote and a backslash are kept as they are, and up to
     * {@link #MAX_LINE_CHARS} characters are shown.
     *
     * @param s any text, possibly hostile; {@code null} gives {@code ""}
     * @return the text escaped, on one line
     */
    public static String line(CharSequence s) {
        return s == null ? "" : render(s, false, MAX_LINE_CHARS);
    }

    private static String render(CharSequence s, boolean quoted, int max) {
        if (s == null) {
            return "null";
        }
        int n = Math.min(s.length(), max);
        StringBuilder b = new StringBuilder(n + 8);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\0' -> b.append("\\0");
                case '\\' -> b.append(quoted ? "\\\\" : "\\");
                case '"' -> b.append(quoted ? "\\\"" : "\"");
                default -> {
                    if (unsafe(s, i, c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        if (s.length() > max) {
            b.append("... (").append(s.length()).append(" chars)");
        }
        return b.toString();
    }

    /**
     * @param s any text, possibly hostile
     * @return the text escaped and in double quotes: {@code "a\r\nb"}; cut as {@code "first 300"... (N chars)}
     */
    public static String quote(CharSequence s) {
        if (s == null) {
            return "null";
        }
        String e = escape(s);
        int cut = e.lastIndexOf("... (");
        return s.length() > MAX_CHARS ? '"' + e.substring(0, cut) + '"' + e.substring(cut) : '"' + e + '"';
    }

    /**
     * @param in raw bytes of unknown charset, e.g. a server's reply
     * @param start the first byte
     * @param length how many
     * @param maxChars the longest result, {@code ...} included
     * @return printable ASCII as is, every other byte (a backslash too, so that every escape is unambiguous) as
     *     {@code \xNN} (upper-case hex), cut with {@code ...} where it would exceed {@code maxChars}
     */
    public static String bytes(ByteBuf in, int start, int length, int maxChars) {
        StringBuilder sb = new StringBuilder(Math.min(length, maxChars) + 8);
        for (int i = 0; i < length; i++) {
            int x = in.getByte(start + i) & 0xFF;
            boolean printable = x >= 0x20 && x < 0x7F && x != '\\';
            if (sb.length() + (printable ? 1 : 4) > maxChars) {
                sb.append("...");
                break;
            }
            if (printable) {
                sb.append((char) x);
            } else {
                sb.append("\\x").append(Character.toUpperCase(Character.forDigit(x >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(x & 0xF, 16)));
            }
        }
        return sb.toString();
    }

    private static boolean unsafe(CharSequence s, int i, char c) {
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
            return true;
        }
        if (Character.isSurrogate(c)) {
            return !paired(s, i);
        }
        return Character.getType(c) == Character.FORMAT;
    }

    private static boolean paired(CharSequence s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
