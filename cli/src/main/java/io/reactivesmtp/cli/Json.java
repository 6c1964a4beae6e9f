package io.reactivesmtp.cli;

/**
 * Just enough JSON for the program's {@code --json} output, written by hand: string quoting and a tiny
 * writer for objects and arrays. Every character outside printable ASCII is escaped, so the output is ASCII
 * whatever the platform encoding.
 */
public final class Json {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {
    }

    /**
     * Quotes a string as a JSON string literal.
     *
     * @param s the string, or null
     * @return the literal in double quotes, or {@code null} for null
     */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2);
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        b.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                                .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * Reads a JSON string literal back, the inverse of {@link #quote(String)}.
     *
     * @param literal the literal in double quotes
     * @return the string
     * @throws IllegalArgumentException if it is not a well-formed string literal
     */
    public static String unquote(String literal) {
        if (literal == null || literal.length() < 2 || literal.charAt(0) != '"'
                || literal.charAt(literal.length() - 1) != '"') {
            throw new IllegalArgumentException("not a JSON string: " + literal);
        }
        StringBuilder b = new StringBuilder(literal.length());
        for (int i = 1; i < literal.length() - 1; i++) {
            char c = literal.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (++i >= literal.length() - 1) {
                throw new IllegalArgumentException("dangling escape in " + literal);
            }
            char e = literal.charAt(i);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    if (i + 4 >= literal.length()) {
                        throw new IllegalArgumentException("short \\u escape in " + literal);
                    }
                    b.append((char) Integer.parseInt(literal.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> throw new IllegalArgumentException("unknown escape \\" + e + " in " + literal);
            }
        }
        return b.toString();
    }
}
