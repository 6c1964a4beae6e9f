package io.reactivesmtp.reactor.internal.mtasts;

import io.reactivesmtp.internal.SafeText;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The strict reader of the TXT records of MTA-STS ({@code v=STSv1; id=...}, RFC 8461 3.1) and TLS-RPT
 * ({@code v=TLSRPTv1; rua=...}, RFC 8460 3): a version, then {@code name=value} fields separated by {@code ;}
 * with optional spaces or tabs around it, an optional {@code ;} at the end. Internal: not part of the API.
 */
public final class TxtFields {

    /** {@code (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")}, the name of any field. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,31}");
    /** {@code 1*(%x21-3A / %x3C / %x3E-7E)}: the value of a field this library does not know. */
    private static final Pattern EXTENSION_VALUE = Pattern.compile("[\\x21-\\x3A\\x3C\\x3E-\\x7E]+");

    private TxtFields() {
    }

    /**
     * @param records the TXT records of a name
     * @param version the version field, e.g. {@code v=STSv1}
     * @return the records that begin with the version followed by {@code ;}, a space, a tab or nothing (the
     *         others are someone else's and are discarded, RFC 8461 3.1)
     */
    public static List<String> candidates(List<String> records, String version) {
        return records.stream().filter(r -> r.startsWith(version) && (r.length() == version.length()
                || r.charAt(version.length()) == ';' || r.charAt(version.length()) == ' '
                || r.charAt(version.length()) == '\t')).toList();
    }

    /**
     * @param record one TXT record
     * @param version the version field it must begin with
     * @param known the fields whose values the caller checks itself; any other field's value must be an
     *        extension value (printable ASCII without {@code =}, {@code ;} or space)
     * @param what what the record is, for the error message: {@code MTA-STS}, {@code TLS-RPT}
     * @return the fields after the version, by name, in order; a repeated field keeps its first value
     * @throws IllegalArgumentException naming the record and what is wrong with it
     */
    public static Map<String, String> parse(String record, String version, Set<String> known, String what) {
        String[] parts = record.split(";", -1);
        if (!trim(parts[0]).equals(version)) {
            throw invalid(what, record, "it does not begin with " + version);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String part = trim(parts[i]);
            if (part.isEmpty()) {
                if (i == parts.length - 1 && i > 1) {
                    break; // one ";" may end the record
                }
                throw invalid(what, record, "empty field " + i);
            }
            int eq = part.indexOf('=');
            String name = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            if (eq < 0 || !NAME.matcher(name).matches() || value.isEmpty()) {
                throw invalid(what, record, "field \"" + SafeText.escape(part) + "\" is not name=value");
            }
            if (!known.contains(name) && !EXTENSION_VALUE.matcher(value).matches()) {
                throw invalid(what, record, "field " + name + " has a value with characters not allowed");
            }
            fields.putIfAbsent(name, value);
        }
        return Collections.unmodifiableMap(fields);
    }

    private static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }

    private static IllegalArgumentException invalid(String what, String record, String why) {
        return new IllegalArgumentException("invalid " + what + " TXT record \"" + SafeText.escape(record) + "\": "
                + why);
    }
}
