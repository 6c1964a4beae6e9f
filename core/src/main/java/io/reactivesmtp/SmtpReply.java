package io.reactivesmtp;

import io.netty.handler.codec.smtp.SmtpResponse;
import io.reactivesmtp.internal.SafeText;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One complete reply from the server: its three-digit code, its enhanced status code (RFC 3463) when the
 * server gave one, and its text lines.
 *
 * <pre>{@code
 * SmtpReply reply = SmtpReply.of(550, "5.1.1 no such user");
 * reply.isPermanentFailure();   // true
 * reply.enhancedStatus();       // Optional[5.1.1]
 * }</pre>
 */
public final class SmtpReply {

    private final int code;
    private final String enhancedStatus;
    private final List<String> lines;

    private SmtpReply(int code, List<String> lines) {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code " + code + " is outside 200-599");
        }
        this.code = code;
        this.lines = List.copyOf(lines);
        this.enhancedStatus = parseEnhanced(code, this.lines);
    }

    /**
     * @param code the three-digit reply code, 200 to 599
     * @param lines the text of each line, without the code and separator (may be empty)
     * @return the reply
     */
    public static SmtpReply of(int code, String... lines) {
        return new SmtpReply(code, List.of(lines));
    }

    /**
     * @param code the three-digit reply code, 200 to 599
     * @param lines the text of each line
     * @return the reply
     */
    public static SmtpReply of(int code, List<String> lines) {
        return new SmtpReply(code, lines);
    }

    /**
     * @param response a reply decoded by the codec
     * @return the same reply as a value
     */
    public static SmtpReply of(SmtpResponse response) {
        List<CharSequence> details = response.details();
        String[] lines = new String[details.size()];
        for (int i = 0; i < lines.length; i++) {
            lines[i] = details.get(i).toString();
        }
        return new SmtpReply(response.code(), List.of(lines));
    }

    private static String parseEnhanced(int code, List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        String first = lines.get(0);
        int end = enhancedEnd(first);
        // The basic code wins: an enhanced code of another class is ignored (RFC 3463 section 2).
        if (end > 0 && first.charAt(0) - '0' == code / 100) {
            int stop = end;
            while (stop > 0 && isSpace(first.charAt(stop - 1))) {
                stop--;
            }
            return first.substring(0, stop);
        }
        return null;
    }

    /**
     * Matches {@code class "." subject "." detail} (RFC 3463: class 2, 4 or 5; one to three digits each) at the
     * start of a line, followed by white space or the end of the line; without a regex, since every reply
     * passes here.
     *
     * @return the index behind the code and the white space after it, or -1 when the line does not start so
     */
    static int enhancedEnd(String line) {
        int n = line.length();
        if (n < 5) {
            return -1;
        }
        char c = line.charAt(0);
        if ((c != '2' && c != '4' && c != '5') || line.charAt(1) != '.') {
            return -1;
        }
        int i = digits(line, 2);
        if (i < 0 || i >= n || line.charAt(i) != '.') {
            return -1;
        }
        i = digits(line, i + 1);
        if (i < 0) {
            return -1;
        }
        if (i == n) {
            return n;
        }
        if (!isSpace(line.charAt(i))) {
            return -1;
        }
        while (i < n && isSpace(line.charAt(i))) {
            i++;
        }
        return i;
    }

    /** @return the index behind one to three ASCII digits starting at {@code from}, or -1 */
    private static int digits(String s, int from) {
        int i = from;
        while (i < s.length() && i - from < 3 && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        // A fourth digit makes it no enhanced code at all.
        return i == from || (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') ? -1 : i;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    /** @return the three-digit code */
    public int code() {
        return code;
    }

    /** @return the enhanced status code such as {@code 5.1.1}, when the first line starts with one of the code's class */
    public Optional<String> enhancedStatus() {
        return Optional.ofNullable(enhancedStatus);
    }

    /** @return the text lines, as the server sent them after the code */
    public List<String> lines() {
        return lines;
    }

    /** @return the text lines joined by a space, without the enhanced status code */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (enhancedStatus != null) {
                int end = enhancedEnd(line);
                if (end > 0) {
                    line = line.substring(end);
                }
            }
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(line);
        }
        return sb.toString();
    }

    /** @return true for 2xx */
    public boolean isPositive() {
        return code < 300;
    }

    /** @return true for 3xx (such as 354 to DATA) */
    public boolean isIntermediate() {
        return code >= 300 && code < 400;
    }

    /** @return true for 4xx: the server may accept the same request later */
    public boolean isTransientFailure() {
        return code >= 400 && code < 500;
    }

    /** @return true for 5xx: the server will not accept the same request */
    public boolean isPermanentFailure() {
        return code >= 500;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SmtpReply && ((SmtpReply) o).code == code && ((SmtpReply) o).lines.equals(lines);
    }

    @Override
    public int hashCode() {
        return Objects.hash(code, lines);
    }

    /** @return the code and lines, with control characters escaped: safe for logs and error messages */
    @Override
    public String toString() {
        return lines.isEmpty() ? Integer.toString(code) : code + " " + SafeText.escape(String.join(" / ", lines));
    }
}
