package io.reactivesmtp;

import io.netty.handler.codec.smtp.SmtpResponse;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?:\\s+|$)");

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
        Matcher m = ENHANCED.matcher(lines.get(0));
        // The basic code wins: an enhanced code of another class is ignored (RFC 3463 section 2).
        if (m.find() && m.group(1).charAt(0) - '0' == code / 100) {
            return m.group(1) + "." + m.group(2) + "." + m.group(3);
        }
        return null;
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
                Matcher m = ENHANCED.matcher(line);
                if (m.find()) {
                    line = line.substring(m.end());
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
        return lines.isEmpty() ? Integer.toString(code) : code + " " + Ascii.escape(String.join(" / ", lines));
    }
}
