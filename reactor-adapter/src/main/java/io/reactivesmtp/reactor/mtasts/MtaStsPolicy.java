package io.reactivesmtp.reactor.mtasts;

import io.reactivesmtp.internal.SafeText;
import io.reactivesmtp.reactor.internal.mtasts.PolicyText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An MTA-STS policy (RFC 8461): the id announced in DNS, the mode, the MX host patterns and how long it may be
 * cached. Immutable.
 *
 * <pre>{@code
 * MtaStsPolicy p = MtaStsPolicy.parse("20260101", "version: STSv1\nmode: enforce\nmx: *.mail.example.com\nmax_age: 86400\n");
 * p.matches("mx1.mail.example.com");     // true
 * p.matches("a.b.mail.example.com");     // false: the wildcard is exactly one label
 * }</pre>
 */
public final class MtaStsPolicy {

    /** What a sender must do with a policy (RFC 8461 5). */
    public enum Mode {
        /** Deliver only to MX hosts that match a pattern and present a valid certificate for their name. */
        ENFORCE("enforce"),
        /** Deliver as without a policy, but report (TLS-RPT) what would have failed. */
        TESTING("testing"),
        /** The domain withdrew its policy (RFC 8461 8.3): nothing to enforce or report. */
        NONE("none");

        private final String value;

        Mode(String value) {
            this.value = value;
        }

        /** @return the mode as a policy writes it: {@code enforce}, {@code testing} or {@code none} */
        public String value() {
            return value;
        }
    }

    private final String id;
    private final Mode mode;
    private final List<String> mxPatterns;
    private final Duration maxAge;
    private final List<String> lines;
    private final List<String> ignored;

    private MtaStsPolicy(String id, Mode mode, List<String> mxPatterns, Duration maxAge, List<String> lines,
            List<String> ignored) {
        this.id = id;
        this.mode = mode;
        this.mxPatterns = mxPatterns;
        this.maxAge = maxAge;
        this.lines = lines;
        this.ignored = ignored;
    }

    /**
     * Reads a policy as served at {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 3.2).
     *
     * <ul>
     *   <li>Lines end with LF or CRLF; blank lines are skipped. Every other line is {@code name: value}; a line
     *       that is not, or a character that is not printable ASCII, makes the policy invalid.</li>
     *   <li>{@code version: STSv1}, {@code mode: enforce|testing|none} and {@code max_age: 1 to 10 digits} are
     *       required (case-sensitive); a repeated one keeps its first value; unknown fields are ignored.</li>
     *   <li>{@code max_age} above 31557600 (the RFC's maximum) is capped to it, not refused: refusing would
     *       drop an enforced policy.</li>
     *   <li>An {@code mx} value that is not a host name, or {@code *.} and a host name, is <em>ignored</em>
     *       (listed in {@link #ignored()}), not fatal: {@code *.*.example}, {@code mail.*.example}, {@code *}
     *       can match no host, and skipping them keeps the rest of an enforced policy in force where
     *       invalidating it would let mail go to any host. Modes {@code enforce} and {@code testing} need at
     *       least one valid pattern.</li>
     * </ul>
     *
     * @param id the id of the {@code _mta-sts} TXT record that announced it
     * @param text the policy's text
     * @return the policy
     * @throws IllegalArgumentException naming what makes the policy invalid
     */
    public static MtaStsPolicy parse(String id, String text) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(text, "text");
        PolicyText p;
        try {
            p = PolicyText.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid MTA-STS policy (id " + SafeText.escape(id) + "): "
                    + e.getMessage(), e);
        }
        return new MtaStsPolicy(id, Mode.valueOf(p.mode().toUpperCase(Locale.ROOT)), p.mxPatterns(),
                Duration.ofSeconds(p.maxAgeSeconds()), p.lines(), p.ignored());
    }

    /**
     * A policy configured by the application rather than fetched.
     *
     * @param id any id, e.g. {@code "static"}
     * @param mode the mode
     * @param mxPatterns host names or {@code *.} host names; at least one unless the mode is NONE
     * @param maxAge how long it holds; 0 to 31557600 s
     * @return the policy; its {@link #policyLines()} are the lines a policy file with these fields would have
     * @throws IllegalArgumentException naming an invalid pattern or max age
     */
    public static MtaStsPolicy of(String id, Mode mode, List<String> mxPatterns, Duration maxAge) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(maxAge, "maxAge");
        List<String> lines = new ArrayList<>();
        lines.add("version: STSv1");
        lines.add("mode: " + mode.value());
        for (String mx : mxPatterns) {
            if (mx == null || !PolicyText.isPattern(mx)) {
                throw new IllegalArgumentException("invalid MTA-STS mx pattern \"" + SafeText.escape(String.valueOf(mx))
                        + "\": expected a host name, or *. and a host name");
            }
            lines.add("mx: " + mx);
        }
        if (maxAge.isNegative() || maxAge.getSeconds() > PolicyText.MAX_AGE_LIMIT) {
            throw new IllegalArgumentException("invalid MTA-STS max_age " + maxAge + ": expected 0 to "
                    + PolicyText.MAX_AGE_LIMIT + " s");
        }
        lines.add("max_age: " + maxAge.getSeconds());
        return parse(id, String.join("\n", lines));
    }

    /**
     * @param mxHost an MX host name (a trailing dot and case are ignored)
     * @return whether a pattern matches it (RFC 8461 4.1): equal, or {@code *.rest} with exactly one label in
     *         front of {@code rest}
     */
    public boolean matches(String mxHost) {
        Objects.requireNonNull(mxHost, "mxHost");
        String host = mxHost.endsWith(".") ? mxHost.substring(0, mxHost.length() - 1) : mxHost;
        host = host.toLowerCase(Locale.ROOT);
        for (String pattern : mxPatterns) {
            if (pattern.startsWith("*.")) {
                String rest = pattern.substring(1); // ".example.com"
                int dot = host.indexOf('.');
                if (dot > 0 && host.substring(dot).equals(rest)) {
                    return true;
                }
            } else if (pattern.equals(host)) {
                return true;
            }
        }
        return false;
    }

    /** @return the id of the TXT record that announced the policy */
    public String id() {
        return id;
    }

    /** @return the mode */
    public Mode mode() {
        return mode;
    }

    /** @return the valid {@code mx} patterns, lower case, in the policy's order */
    public List<String> mxPatterns() {
        return mxPatterns;
    }

    /** @return {@code max_age}: how long the policy may be cached and applied, at most 31557600 s */
    public Duration maxAge() {
        return maxAge;
    }

    /** @return the policy's non-blank lines, as the TLS-RPT report's {@code policy-string} carries them */
    public List<String> policyLines() {
        return lines;
    }

    /** @return what the parser ignored and why (invalid mx lines, repeated fields, a capped max_age) */
    public List<String> ignored() {
        return ignored;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MtaStsPolicy p && id.equals(p.id) && lines.equals(p.lines);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, lines);
    }

    @Override
    public String toString() {
        return "MtaStsPolicy{id " + id + ", " + mode.value() + ", mx " + mxPatterns + ", max_age "
                + maxAge.getSeconds() + "}";
    }
}
