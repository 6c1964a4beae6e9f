package io.reactivesmtp.reactor;

import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.internal.SafeText;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A recipient domain's TLS policy for MX delivery: an MTA-STS policy (RFC 8461) or one configured by the user.
 * In {@link Mode#ENFORCE} mode only MX hosts matching one of its patterns are used, over TLS with a certificate
 * verified against the MX host's name ({@link io.reactivesmtp.MxTlsLevel#VERIFY}); in {@link Mode#TESTING} mode
 * delivery goes on as without a policy. DANE, where the MX host has validated TLSA records, takes precedence
 * (RFC 8461 §2). Immutable.
 *
 * <pre>{@code
 * MxTlsPolicy p = MxTlsPolicy.of(MxTlsPolicy.Mode.ENFORCE, List.of("mx1.example.com", "*.mail.example.com"),
 *         MxTlsStatus.Source.MTA_STS);
 * }</pre>
 */
public final class MxTlsPolicy {

    /** What the policy asks. */
    public enum Mode {
        /** Only matching MX hosts, verified TLS; a host that fails is not used. */
        ENFORCE,
        /** Deliver as without the policy; failures are only reported (TLS-RPT). */
        TESTING
    }

    private final Mode mode;
    private final List<String> mxPatterns;
    private final MxTlsStatus.Source source;

    private MxTlsPolicy(Mode mode, List<String> mxPatterns, MxTlsStatus.Source source) {
        this.mode = mode;
        this.mxPatterns = mxPatterns;
        this.source = source;
    }

    /**
     * @param mode enforce or testing
     * @param mxPatterns the MX host names allowed: exact names, or {@code *.} followed by a domain, which matches
     *     exactly one more label (RFC 8461 §4.1); at least one
     * @param source {@link MxTlsStatus.Source#MTA_STS} or {@link MxTlsStatus.Source#CONFIGURED}
     * @return the policy
     * @throws IllegalArgumentException naming the pattern, for an empty list or a pattern with a wildcard
     *     anywhere but as the whole first label
     */
    public static MxTlsPolicy of(Mode mode, List<String> mxPatterns, MxTlsStatus.Source source) {
        Objects.requireNonNull(mode, "mode");
        if (source != MxTlsStatus.Source.MTA_STS && source != MxTlsStatus.Source.CONFIGURED) {
            throw new IllegalArgumentException("invalid policy source " + source + ": expected MTA_STS or CONFIGURED");
        }
        if (mxPatterns == null || mxPatterns.isEmpty()) {
            throw new IllegalArgumentException("a TLS policy needs at least one MX pattern");
        }
        List<String> patterns = new ArrayList<>();
        for (String p : mxPatterns) {
            String s = p == null ? "" : p.trim().toLowerCase(Locale.ROOT);
            s = s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
            String rest = s.startsWith("*.") ? s.substring(2) : s;
            if (rest.isEmpty() || rest.contains("*") || rest.startsWith(".") || rest.contains("..")
                    || s.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
                throw new IllegalArgumentException("invalid MX pattern \"" + (p == null ? "null" : SafeText.escape(p))
                        + "\": expected a host name, or *. followed by a domain");
            }
            patterns.add(s);
        }
        return new MxTlsPolicy(mode, List.copyOf(patterns), source);
    }

    /** @return enforce or testing */
    public Mode mode() {
        return mode;
    }

    /** @return the MX patterns, lower case */
    public List<String> mxPatterns() {
        return mxPatterns;
    }

    /** @return where the policy came from */
    public MxTlsStatus.Source source() {
        return source;
    }

    /**
     * @param mxHost an MX host name
     * @return whether one of the patterns matches it; {@code *.example.com} matches {@code mx.example.com}, not
     *     {@code example.com} nor {@code a.mx.example.com}
     */
    public boolean matches(String mxHost) {
        String h = mxHost.toLowerCase(Locale.ROOT);
        h = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
        for (String p : mxPatterns) {
            if (p.equals(h)) {
                return true;
            }
            int dot = h.indexOf('.');
            if (p.startsWith("*.") && dot > 0 && h.substring(dot + 1).equals(p.substring(2))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return mode.name().toLowerCase(Locale.ROOT) + " " + mxPatterns + " (" + source + ")";
    }
}
