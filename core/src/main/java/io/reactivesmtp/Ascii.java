package io.reactivesmtp;

/** Makes untrusted text safe to put in an error message or a log line. */
final class Ascii {

    private static final int MAX = 200;

    private Ascii() {
    }

    /**
     * @param s any text, possibly hostile
     * @return the text with controls escaped ({@code \r}, {@code \n}, {@code \xNN}) and cut to a bounded length
     */
    static String escape(CharSequence s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < MAX; i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02X", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (sb.length() >= MAX) {
            sb.append("...");
        }
        return sb.toString();
    }
}
