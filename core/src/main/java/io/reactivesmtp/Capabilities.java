package io.reactivesmtp;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the server said it supports in its reply to EHLO (RFC 5321 section 4.1.1.1). A server that only
 * answered HELO supports nothing: {@link #none(String)}.
 *
 * <pre>{@code
 * Capabilities caps = Capabilities.fromEhlo(SmtpReply.of(250, "mx.example", "PIPELINING", "SIZE 10240000"));
 * caps.pipelining();    // true
 * caps.maxSize();       // OptionalLong[10240000]
 * }</pre>
 */
public final class Capabilities {

    /**
     * The last EHLO reply parsed, and what it said. The sessions of a pool talk to one server, which gives each the
     * same reply: they share one immutable value instead of a map, lists and strings each (about 1 KB a session).
     */
    private static volatile Parsed lastParsed;

    private final String serverName;
    private final boolean extended;
    private final Map<String, List<String>> keywords;

    private Capabilities(String serverName, boolean extended, Map<String, List<String>> keywords) {
        this.serverName = serverName;
        this.extended = extended;
        this.keywords = Collections.unmodifiableMap(keywords);
    }

    /**
     * Parses a positive reply to EHLO: the first line names the server, each further line is a keyword
     * (case-insensitive) with optional space-separated parameters. Unknown keywords are kept.
     *
     * @param ehloReply the server's 250 reply
     * @return the capabilities it advertises
     */
    public static Capabilities fromEhlo(SmtpReply ehloReply) {
        List<String> lines = ehloReply.lines();
        Parsed last = lastParsed;
        if (last != null && last.lines.equals(lines)) {
            return last.capabilities;
        }
        Capabilities parsed = parse(lines);
        lastParsed = new Parsed(lines, parsed);
        return parsed;
    }

    private static Capabilities parse(List<String> lines) {
        String name = lines.isEmpty() ? "" : firstWord(lines.get(0));
        Map<String, List<String>> keywords = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] words = lines.get(i).trim().split("[ \t]+");
            if (words.length == 0 || words[0].isEmpty()) {
                continue;
            }
            String keyword = words[0].toUpperCase(Locale.ROOT);
            // Some old servers say "AUTH=LOGIN PLAIN": treat it as AUTH LOGIN PLAIN.
            if (keyword.startsWith("AUTH=")) {
                words[0] = keyword.substring(5);
                keyword = "AUTH";
                keywords.merge(keyword, List.of(words), Capabilities::concat);
                continue;
            }
            keywords.merge(keyword, words.length == 1 ? List.of() : List.of(Arrays.copyOfRange(words, 1, words.length)),
                    Capabilities::concat);
        }
        return new Capabilities(name, true, keywords);
    }

    /**
     * @param serverName the name from the HELO reply
     * @return the capabilities of a server that only speaks HELO: none
     */
    public static Capabilities none(String serverName) {
        return new Capabilities(serverName, false, new LinkedHashMap<>());
    }

    private record Parsed(List<String> lines, Capabilities capabilities) {
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    private static String firstWord(String line) {
        String trimmed = line.trim();
        int space = trimmed.indexOf(' ');
        return space < 0 ? trimmed : trimmed.substring(0, space);
    }

    /** @return the name the server gave for itself in its EHLO/HELO reply */
    public String serverName() {
        return serverName;
    }

    /** @return true when the server answered EHLO (ESMTP), false after a HELO fallback */
    public boolean isExtended() {
        return extended;
    }

    /**
     * @param keyword an EHLO keyword such as {@code "PIPELINING"} (case-insensitive)
     * @return whether the server advertised it
     */
    public boolean supports(String keyword) {
        return keywords.containsKey(keyword.toUpperCase(Locale.ROOT));
    }

    /**
     * @param keyword an EHLO keyword (case-insensitive)
     * @return its parameters, empty when it has none or was not advertised
     */
    public List<String> parameters(String keyword) {
        return keywords.getOrDefault(keyword.toUpperCase(Locale.ROOT), List.of());
    }

    /** @return every advertised keyword (upper case) with its parameters, in the server's order */
    public Map<String, List<String>> keywords() {
        return keywords;
    }

    /** @return RFC 2920 PIPELINING */
    public boolean pipelining() {
        return supports("PIPELINING");
    }

    /**
     * The RFC 1870 SIZE limit. {@code SIZE} without a number, or with an unparsable one, means the limit
     * is unknown; {@code SIZE 0} means no fixed limit.
     *
     * @return the advertised limit in octets, when there is a known positive one
     */
    public OptionalLong maxSize() {
        List<String> params = parameters("SIZE");
        if (params.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long size = Long.parseLong(params.get(0));
            return size > 0 ? OptionalLong.of(size) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** @return RFC 6152 8BITMIME */
    public boolean eightBitMime() {
        return supports("8BITMIME");
    }

    /** @return RFC 6531 SMTPUTF8 */
    public boolean smtpUtf8() {
        return supports("SMTPUTF8");
    }

    /** @return RFC 3207 STARTTLS */
    public boolean startTls() {
        return supports("STARTTLS");
    }

    /** @return RFC 3030 CHUNKING */
    public boolean chunking() {
        return supports("CHUNKING");
    }

    /** @return RFC 3461 DSN */
    public boolean dsn() {
        return supports("DSN");
    }

    /** @return RFC 2034 ENHANCEDSTATUSCODES */
    public boolean enhancedStatusCodes() {
        return supports("ENHANCEDSTATUSCODES");
    }

    /** @return the RFC 4954 AUTH mechanisms, upper case */
    public Set<String> authMechanisms() {
        Set<String> mechanisms = new TreeSet<>();
        for (String m : parameters("AUTH")) {
            mechanisms.add(m.toUpperCase(Locale.ROOT));
        }
        return Collections.unmodifiableSet(mechanisms);
    }

    @Override
    public String toString() {
        return (extended ? "ESMTP " : "SMTP ") + serverName + " " + keywords.keySet();
    }
}
