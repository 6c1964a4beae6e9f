package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.internal.SafeText;
import java.util.Locale;

/**
 * Validates and canonicalises DNS names for MX routing. Internal: not part of the API, may change without
 * notice.
 */
public final class DnsNames {

    /** The longest name DNS can carry in presentation form, without the trailing dot (RFC 1035 2.3.4). */
    private static final int MAX_NAME = 253;
    /** The longest label (RFC 1035 2.3.4). */
    private static final int MAX_LABEL = 63;

    private DnsNames() {
    }

    /**
     * @param name a host or domain name, possibly hostile
     * @param what what the name is, for the error message ("domain", "MX host")
     * @return the name in lower case without the trailing dot
     * @throws IllegalArgumentException naming the input if it is null, empty, longer than 253 characters, has an
     *         empty or over-long label, or contains anything but printable ASCII
     */
    public static String canonical(String name, String what) {
        if (name == null) {
            throw new IllegalArgumentException("invalid " + what + " null");
        }
        // One trailing dot is the absolute form of the same name; "a.b.." is not a name.
        String s = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (s.isEmpty()) {
            throw new IllegalArgumentException("invalid " + what + " \"" + SafeText.escape(name) + "\": empty");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                throw new IllegalArgumentException("invalid " + what + " \"" + SafeText.escape(name) + "\": character "
                        + String.format("U+%04X", (int) c) + " at index " + i
                        + " (expected printable ASCII; an IDN must be given as A-labels)");
            }
        }
        if (s.length() > MAX_NAME) {
            throw new IllegalArgumentException("invalid " + what + " \"" + SafeText.escape(name) + "\": " + s.length()
                    + " characters, at most " + MAX_NAME + " allowed");
        }
        int start = 0;
        while (start <= s.length()) {
            int dot = s.indexOf('.', start);
            int end = dot < 0 ? s.length() : dot;
            if (end == start || end - start > MAX_LABEL) {
                throw new IllegalArgumentException("invalid " + what + " \"" + SafeText.escape(name) + "\": label at index "
                        + start + " is " + (end - start) + " characters, expected 1 to " + MAX_LABEL);
            }
            start = end + 1;
        }
        return s.toLowerCase(Locale.ROOT);
    }

    /**
     * @param name a name as decoded from a DNS message ({@code "mx.example.com."}) or given by a user
     * @return the name in lower case without the trailing dot, for comparing names; "" for the root
     */
    public static String normalise(String name) {
        String s = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        return s.toLowerCase(Locale.ROOT);
    }
}
