package io.reactivesmtp.reactor.internal.mtasts;

import io.reactivesmtp.internal.SafeText;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the text of an MTA-STS policy (RFC 8461 3.2) into its fields. Internal: not part of the API; the rules
 * are documented on {@code MtaStsPolicy.parse}.
 *
 * @param mode the mode's text: {@code enforce}, {@code testing} or {@code none}
 * @param mxPatterns the valid {@code mx} patterns, lower case, in order
 * @param maxAgeSeconds {@code max_age}, at most {@link #MAX_AGE_LIMIT}
 * @param lines the policy's lines, without line ends and blank lines (the TLS-RPT {@code policy-string})
 * @param ignored what was ignored and why: invalid {@code mx} lines, repeated fields, a capped {@code max_age}
 */
public record PolicyText(String mode, List<String> mxPatterns, long maxAgeSeconds, List<String> lines,
        List<String> ignored) {

    /** The largest {@code max_age} of RFC 8461 3.2: about a year. */
    public static final long MAX_AGE_LIMIT = 31_557_600L;

    /** {@code sts-policy-extension-name}: any field's name. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_\\-.]{1,32}");
    /** {@code Let-dig [Ldh-str]}, one label of an RFC 5321 domain. */
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9\\-]{0,61}[a-z0-9])?");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,10}");

    /**
     * @param text the policy as fetched
     * @return its fields
     * @throws IllegalArgumentException saying what makes the policy invalid
     */
    public static PolicyText parse(String text) {
        List<String> lines = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        List<String> mx = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String version = null;
        String mode = null;
        String maxAge = null;
        String[] raw = text.split("\n", -1);
        for (int n = 0; n < raw.length; n++) {
            String line = raw[n].endsWith("\r") ? raw[n].substring(0, raw[n].length() - 1) : raw[n];
            if (line.isBlank()) {
                continue;
            }
            checkCharacters(line, n + 1);
            int colon = line.indexOf(':');
            String name = colon < 0 ? "" : line.substring(0, colon);
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("line " + (n + 1) + " \"" + SafeText.escape(line)
                        + "\" is not \"name: value\"");
            }
            String value = line.substring(colon + 1).strip();
            lines.add(line);
            if (name.equals("mx")) {
                if (isPattern(value)) {
                    mx.add(value.toLowerCase(java.util.Locale.ROOT));
                } else {
                    ignored.add("line " + (n + 1) + ": mx \"" + SafeText.escape(value) + "\" is not a host name"
                            + " or *. and a host name (RFC 8461 3.2, 4.1): ignored");
                }
                continue;
            }
            if (!seen.add(name)) {
                ignored.add("line " + (n + 1) + ": " + name + " repeated: the first one counts");
                continue;
            }
            switch (name) {
                case "version" -> version = value;
                case "mode" -> mode = value;
                case "max_age" -> maxAge = value;
                default -> {
                    // An extension field: ignored, as RFC 8461 3.2 says.
                }
            }
        }
        if (!"STSv1".equals(version)) {
            throw new IllegalArgumentException(version == null ? "no version field"
                    : "version \"" + SafeText.escape(version) + "\", expected STSv1");
        }
        if (mode == null || !(mode.equals("enforce") || mode.equals("testing") || mode.equals("none"))) {
            throw new IllegalArgumentException(mode == null ? "no mode field"
                    : "mode \"" + SafeText.escape(mode) + "\", expected enforce, testing or none");
        }
        if (maxAge == null || !DIGITS.matcher(maxAge).matches()) {
            throw new IllegalArgumentException(maxAge == null ? "no max_age field"
                    : "max_age \"" + SafeText.escape(maxAge) + "\" is not 1 to 10 digits");
        }
        long seconds = Long.parseLong(maxAge);
        if (seconds > MAX_AGE_LIMIT) {
            ignored.add("max_age " + seconds + " above the RFC 8461 maximum: " + MAX_AGE_LIMIT + " used");
            seconds = MAX_AGE_LIMIT;
        }
        if (mx.isEmpty() && !mode.equals("none")) {
            throw new IllegalArgumentException("mode " + mode + " without a valid mx pattern"
                    + (ignored.isEmpty() ? "" : " (" + String.join("; ", ignored) + ")"));
        }
        return new PolicyText(mode, List.copyOf(mx), seconds, List.copyOf(lines), List.copyOf(ignored));
    }

    /**
     * @param value an {@code mx} value
     * @return whether it is {@code ["*."] Domain} (RFC 8461 3.2): host name labels of letters, digits and inner
     *         hyphens, at most 253 characters, and a wildcard only as the whole leftmost label
     */
    public static boolean isPattern(String value) {
        String name = value.startsWith("*.") ? value.substring(2) : value;
        if (name.isEmpty() || name.length() > 253) {
            return false;
        }
        for (String label : name.toLowerCase(java.util.Locale.ROOT).split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    private static void checkCharacters(String line, int number) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if ((c < 0x20 && c != '\t') || c > 0x7e) {
                throw new IllegalArgumentException("line " + number + " has character "
                        + String.format("U+%04X", (int) c) + " at index " + i + " (a policy is printable ASCII)");
            }
        }
    }
}
