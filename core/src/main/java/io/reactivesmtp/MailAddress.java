package io.reactivesmtp;

import io.reactivesmtp.internal.MailDomains;
import io.reactivesmtp.internal.SafeText;
import java.net.IDN;
import java.util.Locale;

/**
 * An immutable RFC 5321 mailbox ({@code local-part@domain}) as it appears in {@code MAIL FROM} and
 * {@code RCPT TO}, validated when it is built.
 *
 * <p>Validation is strict because the address is written into the command stream: CR, LF, NUL, any other
 * control character, DEL and the angle brackets {@code <} {@code >} are rejected anywhere, so an address can
 * never inject a second command or close the path early. The client adds the angle brackets itself.
 *
 * <p>Accepted forms: a dot-atom local part (RFC 5321 atext, plus RFC 6531 UTF-8 characters) or a quoted
 * string local part; a domain of letter/digit/hyphen labels, internationalised labels that
 * {@link IDN#toASCII(String, int)} accepts, or an address literal such as {@code [192.0.2.1]} or
 * {@code [IPv6:2001:db8::1]}. Limits: local part 64 octets, domain 255 octets, address 254 octets (UTF-8).
 *
 * <pre>{@code
 * MailAddress a = MailAddress.of("user@bücher.example");
 * a.asciiDomain();        // "xn--bcher-kva.example"
 * a.requiresSmtpUtf8();   // false: the domain can go as A-labels
 * a.toAsciiForm();        // "user@xn--bcher-kva.example"
 *
 * MailAddress.of("jörg@example.com").requiresSmtpUtf8();   // true
 * MailAddress.of("a\r\nRCPT TO:<x@y>");                    // IllegalArgumentException
 * }</pre>
 *
 * <p>Equality: the local part is compared exactly (RFC 5321 leaves its case to the receiving server), the
 * domain by its A-label form ignoring ASCII case, so {@code user@Bücher.example} equals
 * {@code user@xn--bcher-kva.example}.
 */
public final class MailAddress {

    private static final int MAX_LOCAL_PART_OCTETS = 64;
    private static final int MAX_DOMAIN_OCTETS = 255;
    private static final int MAX_ADDRESS_OCTETS = 254;

    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    private final String localPart;
    private final String domain;
    private final String asciiDomain;
    private final boolean requiresSmtpUtf8;
    /** Domain identity for equals/hashCode: A-labels, lower case. */
    private final String domainKey;

    private MailAddress(String localPart, String domain, String asciiDomain) {
        this.localPart = localPart;
        this.domain = domain;
        this.asciiDomain = asciiDomain;
        this.requiresSmtpUtf8 = !isAscii(localPart);
        this.domainKey = asciiDomain.toLowerCase(Locale.ROOT);
    }

    /**
     * Parses and validates a mailbox.
     *
     * <pre>{@code
     * MailAddress.of("john+news@example.com");
     * MailAddress.of("\"john doe\"@example.com");
     * MailAddress.of("postmaster@[IPv6:2001:db8::1]");
     * }</pre>
     *
     * @param address the mailbox without angle brackets, e.g. {@code user@example.com}
     * @return the validated address
     * @throws IllegalArgumentException if the address is null, empty or not a valid mailbox; the message
     *     names the input with control characters escaped
     */
    public static MailAddress of(String address) {
        if (address == null) {
            throw new IllegalArgumentException("invalid mail address null: is null");
        }
        if (address.isEmpty()) {
            throw invalid(address, "is empty");
        }
        // Characters that could break the command line are checked first, before any structure, so that
        // the reason given is the dangerous one.
        checkCharacters(address);

        int at;
        if (address.charAt(0) == '"') {
            // A quoted local part may itself contain '@', so find where the quoted string ends.
            int close = endOfQuotedString(address);
            if (close + 1 >= address.length() || address.charAt(close + 1) != '@') {
                throw invalid(address, "quoted local part must be followed by '@'");
            }
            at = close + 1;
        } else {
            at = address.lastIndexOf('@');
        }
        if (at < 0) {
            throw invalid(address, "has no '@'");
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        if (local.isEmpty()) {
            throw invalid(address, "empty local part");
        }
        if (domain.isEmpty()) {
            throw invalid(address, "empty domain");
        }

        int localOctets = utf8Length(local);
        if (localOctets > MAX_LOCAL_PART_OCTETS) {
            throw invalid(address, "local part is longer than " + MAX_LOCAL_PART_OCTETS + " octets ("
                    + localOctets + ")");
        }
        if (utf8Length(domain) > MAX_DOMAIN_OCTETS) {
            throw invalid(address, "domain is longer than " + MAX_DOMAIN_OCTETS + " octets");
        }
        if (local.charAt(0) != '"') {
            checkDotAtom(address, local);
        }
        String asciiDomain = MailDomains.check(address, domain);
        if (asciiDomain.length() > MAX_DOMAIN_OCTETS) {
            throw invalid(address, "domain as A-labels is longer than " + MAX_DOMAIN_OCTETS + " octets");
        }
        // Both forms must fit, since either may be sent depending on whether the server has SMTPUTF8.
        int octets = Math.max(localOctets + 1 + utf8Length(domain), localOctets + 1 + asciiDomain.length());
        if (octets > MAX_ADDRESS_OCTETS) {
            throw invalid(address, "address is longer than " + MAX_ADDRESS_OCTETS + " octets (" + octets + ")");
        }
        return new MailAddress(local, domain, asciiDomain);
    }

    /**
     * @return the local part as given, including the quotes of a quoted local part
     */
    public String localPart() {
        return localPart;
    }

    /**
     * @return the domain as given (possibly with non-ASCII labels, or an address literal in brackets)
     */
    public String domain() {
        return domain;
    }

    /**
     * @return the domain with every non-ASCII label as an A-label ({@code xn--...}), for servers without
     *     SMTPUTF8; equal to {@link #domain()} when the domain is already ASCII
     */
    public String asciiDomain() {
        return asciiDomain;
    }

    /**
     * @return true when the local part contains non-ASCII characters, so the address can only be sent to a
     *     server that advertises SMTPUTF8 (a non-ASCII domain alone can be sent as A-labels)
     */
    public boolean requiresSmtpUtf8() {
        return requiresSmtpUtf8;
    }

    /**
     * @return the address in ASCII: the local part and {@link #asciiDomain()}
     * @throws IllegalStateException if the local part is non-ASCII (see {@link #requiresSmtpUtf8()})
     */
    public String toAsciiForm() {
        if (requiresSmtpUtf8) {
            throw new IllegalStateException("mail address " + this
                    + " has a non-ASCII local part and can only be sent with SMTPUTF8");
        }
        return localPart + '@' + asciiDomain;
    }

    /**
     * @return the address as given, {@code local@domain}, without angle brackets
     */
    @Override
    public String toString() {
        return localPart + '@' + domain;
    }

    /**
     * Two addresses are equal when their local parts are identical and their domains are the same once
     * converted to A-labels, ignoring ASCII case.
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MailAddress)) {
            return false;
        }
        MailAddress other = (MailAddress) o;
        return localPart.equals(other.localPart) && domainKey.equals(other.domainKey);
    }

    /** @return a hash consistent with {@link #equals(Object)}: local part and lower-case A-label domain */
    @Override
    public int hashCode() {
        return 31 * localPart.hashCode() + domainKey.hashCode();
    }

    // ---------------------------------------------------------------------------------------------------
    // validation

    private static void checkCharacters(String address) {
        boolean inQuotes = address.charAt(0) == '"';
        // An unterminated quote (-1) counts as quoted to the end; the structural check reports it.
        int quoteEnd = inQuotes ? endOfQuotedStringLenient(address) : -1;
        // CR, LF and NUL first, over the whole input: they are the injection attempts, so they are the
        // reason reported even when another fault comes earlier in the string.
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c == '\r') {
                throw invalid(address, "contains CR");
            }
            if (c == '\n') {
                throw invalid(address, "contains LF");
            }
            if (c == 0) {
                throw invalid(address, "contains NUL");
            }
        }
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
                throw invalid(address, "contains control character " + codePoint(c));
            }
            if (c == '<' || c == '>') {
                throw invalid(address, "contains '" + c + "'");
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < address.length() && Character.isLowSurrogate(address.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw invalid(address, "contains an unpaired surrogate");
            }
            if (Character.isLowSurrogate(c)) {
                throw invalid(address, "contains an unpaired surrogate");
            }
            if (c == '\u2028' || c == '\u2029') {
                // Unicode line breaks: some logs and consoles treat them as new lines.
                throw invalid(address, "contains line separator " + codePoint(c));
            }
            boolean insideQuotedLocalPart = inQuotes && (quoteEnd < 0 || i <= quoteEnd);
            if (!insideQuotedLocalPart && (Character.isWhitespace(c) || Character.isSpaceChar(c))) {
                throw invalid(address, "contains whitespace outside a quoted local part");
            }
        }
    }

    /** Index of the closing quote of the quoted string starting at 0, or -1 if there is none. */
    private static int endOfQuotedStringLenient(String s) {
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return -1;
    }

    /** Validates the quoted string starting at index 0 and returns the index of its closing quote. */
    private static int endOfQuotedString(String address) {
        for (int i = 1; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c == '\\') {
                // RFC 5321 quoted-pairSMTP: backslash followed by a printable ASCII character.
                if (i + 1 >= address.length()) {
                    throw invalid(address, "quoted local part ends with a lone backslash");
                }
                char escaped = address.charAt(i + 1);
                if (escaped < 0x20 || escaped > 0x7e) {
                    throw invalid(address, "quoted local part escapes a character that is not printable ASCII");
                }
                i++;
            } else if (c == '"') {
                return i;
            }
            // Anything else is qtextSMTP (or UTF-8, RFC 6531); controls were rejected already.
        }
        throw invalid(address, "quoted local part has no closing quote");
    }

    private static void checkDotAtom(String address, String local) {
        if (local.charAt(0) == '.') {
            throw invalid(address, "local part starts with '.'");
        }
        if (local.charAt(local.length() - 1) == '.') {
            throw invalid(address, "local part ends with '.'");
        }
        if (local.contains("..")) {
            throw invalid(address, "local part contains '..'");
        }
        for (int i = 0; i < local.length(); ) {
            int cp = local.codePointAt(i);
            if (cp != '.' && !isAtext(cp)) {
                throw invalid(address, "local part contains '" + SafeText.escape(new String(Character.toChars(cp)))
                        + "' (quote the local part to use it)");
            }
            i += Character.charCount(cp);
        }
    }

    private static boolean isAtext(int cp) {
        if (cp >= 0x80) {
            return true; // RFC 6531 UTF8-non-ascii; controls and whitespace were rejected already
        }
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')
                || ATEXT_SPECIALS.indexOf(cp) >= 0;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** The UTF-8 length of the string, as {@code s.getBytes(UTF_8).length} but without encoding it. */
    static int utf8Length(String s) {
        int n = s.length();
        int octets = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                octets += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                octets += 2; // the pair: 2 chars, 4 octets
                i++;
            } else if (!Character.isSurrogate(c)) {
                octets += 2;
            } // a lone surrogate is encoded as '?': 1 octet
        }
        return octets;
    }

    private static String codePoint(char c) {
        return String.format("U+%04X", (int) c);
    }

    private static IllegalArgumentException invalid(String address, String reason) {
        return new IllegalArgumentException("invalid mail address " + show(address) + ": " + reason);
    }

    /** The input in double quotes, escaped so that it is safe and unambiguous in one log line. */
    static String show(String s) {
        return SafeText.quote(s);
    }
}
