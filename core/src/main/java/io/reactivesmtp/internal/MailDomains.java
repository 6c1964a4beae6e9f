package io.reactivesmtp.internal;

import java.net.IDN;

/** The domain part of a mail address (RFC 5321 section 4.1.2, RFC 5890 A-labels, address literals). */
public final class MailDomains {

    private static final int MAX_LABEL_OCTETS = 63;

    private MailDomains() {
    }

    /**
     * Validates the domain of an address (a host name, IDN labels allowed, or an address literal) and returns it
     * with A-labels.
     *
     * @param address the whole address, for the error message
     * @param domain its domain, not empty
     * @return the domain with A-labels (an address literal unchanged)
     * @throws IllegalArgumentException {@code invalid mail address "...": why}
     */
    public static String check(String address, String domain) {
        if (domain.charAt(0) == '[') {
            checkAddressLiteral(address, domain);
            return domain;
        }
        if (isPlainHostName(domain)) {
            return domain; // the common case: no split, no copy (it runs for every recipient of a bulk run)
        }
        String[] labels = domain.split("\\.", -1);
        StringBuilder ascii = new StringBuilder(domain.length() + 16);
        for (String label : labels) {
            if (label.isEmpty()) {
                throw invalid(address, "domain has an empty label");
            }
            String asciiLabel = label.chars().allMatch(c -> c < 0x80) ? label : toALabel(address, label);
            checkLdhLabel(address, label, asciiLabel);
            if (ascii.length() > 0) {
                ascii.append('.');
            }
            ascii.append(asciiLabel);
        }
        return ascii.toString();
    }

    /**
     * Whether the domain is already a valid ASCII host name: labels of 1 to 63 letters, digits and '-', not
     * starting or ending with '-', separated by single dots. Anything else takes the slow path, which says what is
     * wrong or converts U-labels.
     */
    private static boolean isPlainHostName(String domain) {
        int labelStart = 0;
        int n = domain.length();
        for (int i = 0; i <= n; i++) {
            char c = i < n ? domain.charAt(i) : '.';
            if (c == '.') {
                int len = i - labelStart;
                if (len == 0 || len > MAX_LABEL_OCTETS || domain.charAt(labelStart) == '-'
                        || domain.charAt(i - 1) == '-') {
                    return false;
                }
                labelStart = i + 1;
            } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static String toALabel(String address, String label) {
        // IDN also splits on the ideographic full stops; refusing them keeps one label per '.' in both forms.
        if (label.indexOf('\u3002') >= 0 || label.indexOf('\uff0e') >= 0 || label.indexOf('\uff61') >= 0) {
            throw invalid(address, "domain contains an ideographic full stop");
        }
        try {
            return IDN.toASCII(label, IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            throw invalid(address, "domain label '" + SafeText.escape(label) + "' is not a valid internationalised label");
        }
    }

    private static void checkLdhLabel(String address, String label, String asciiLabel) {
        String shown = "domain label '" + SafeText.escape(label) + "'";
        if (asciiLabel.isEmpty()) {
            throw invalid(address, shown + " is empty as an A-label");
        }
        if (asciiLabel.length() > MAX_LABEL_OCTETS) {
            throw invalid(address, shown + " is longer than " + MAX_LABEL_OCTETS + " octets");
        }
        if (asciiLabel.charAt(0) == '-' || asciiLabel.charAt(asciiLabel.length() - 1) == '-') {
            throw invalid(address, shown + " starts or ends with '-'");
        }
        for (int i = 0; i < asciiLabel.length(); i++) {
            char c = asciiLabel.charAt(i);
            boolean ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ldh) {
                throw invalid(address, shown + " contains '" + SafeText.escape(String.valueOf(c))
                        + "' (only letters, digits and '-')");
            }
        }
    }

    private static void checkAddressLiteral(String address, String domain) {
        if (domain.length() < 3 || domain.charAt(domain.length() - 1) != ']') {
            throw invalid(address, "address literal must be enclosed in '[' and ']'");
        }
        String content = domain.substring(1, domain.length() - 1);
        if (content.regionMatches(true, 0, "IPv6:", 0, 5)) {
            if (!isIpv6(content.substring(5))) {
                throw invalid(address, "address literal is not a valid IPv6 address");
            }
        } else if (!isIpv4(content)) {
            throw invalid(address, "address literal is not a valid IPv4 address or [IPv6:...]");
        }
    }

    private static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3) {
                return false;
            }
            for (int i = 0; i < part.length(); i++) {
                if (part.charAt(i) < '0' || part.charAt(i) > '9') {
                    return false;
                }
            }
            if (Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * RFC 5321 IPv6-addr: full (8 groups), compressed ("::" standing for at least two groups, at most 6
     * groups besides it), and the same two forms with an IPv4 tail (which counts as two groups).
     */
    private static boolean isIpv6(String s) {
        String hexPart = s;
        int tailGroups = 0;
        int lastColon = s.lastIndexOf(':');
        if (lastColon >= 0 && s.indexOf('.', lastColon) >= 0) {
            if (!isIpv4(s.substring(lastColon + 1))) {
                return false;
            }
            tailGroups = 2;
            hexPart = s.substring(0, lastColon + 1);
            // "a:b:c:d:e:f:1.2.3.4" drops the separator; "a::1.2.3.4" keeps its "::".
            if (!hexPart.endsWith("::")) {
                hexPart = hexPart.substring(0, hexPart.length() - 1);
            }
        }
        int compress = hexPart.indexOf("::");
        if (compress < 0) {
            int groups = countHexGroups(hexPart);
            return groups >= 0 && groups + tailGroups == 8;
        }
        if (hexPart.indexOf("::", compress + 1) >= 0) {
            return false;
        }
        int left = countHexGroups(hexPart.substring(0, compress));
        int right = countHexGroups(hexPart.substring(compress + 2));
        return left >= 0 && right >= 0 && left + right + tailGroups <= 6;
    }

    /** Number of ':'-separated groups of 1 to 4 hex digits in s (0 for ""), or -1 if malformed. */
    private static int countHexGroups(String s) {
        if (s.isEmpty()) {
            return 0;
        }
        String[] groups = s.split(":", -1);
        for (String g : groups) {
            if (g.isEmpty() || g.length() > 4) {
                return -1;
            }
            for (int i = 0; i < g.length(); i++) {
                char c = g.charAt(i);
                boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                if (!hex) {
                    return -1;
                }
            }
        }
        return groups.length;
    }

    // ---------------------------------------------------------------------------------------------------
    // helpers

    private static IllegalArgumentException invalid(String address, String reason) {
        return new IllegalArgumentException("invalid mail address " + SafeText.quote(address) + ": " + reason);
    }
}
