package io.reactivesmtp.bounce;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The body of a {@code message/delivery-status} or {@code message/feedback-report} part: groups of header-like
 * fields separated by blank lines (RFC 3464 §2.1, RFC 5965 §3.1), read tolerantly: names in any case, folded
 * values unfolded, a line without a colon inside a field taken as an unindented fold, any line ending.
 */
final class FieldBlock {

    /**
     * One field.
     *
     * @param name its name, lower case
     * @param value its value, unfolded and stripped
     * @param group the number of the blank-line-separated group it is in, from 0
     */
    record Field(String name, String value, int group) {
    }

    private FieldBlock() {
    }

    /**
     * @param text the part's text
     * @param maxFields at most this many fields are read; the rest is dropped with a note
     * @param notes where malformations are noted
     * @return the fields in order
     */
    static List<Field> parse(String text, int maxFields, Notes notes) {
        List<Field> fields = new ArrayList<>();
        int group = 0;
        boolean blankBefore = false;
        String name = null;
        StringBuilder value = new StringBuilder();
        int fieldGroup = 0;
        for (String line : text.split("\r\n|\n|\r", -1)) {
            if (line.isBlank()) {
                blankBefore = true;
                continue;
            }
            if (blankBefore) {
                blankBefore = false;
                if (name != null || !fields.isEmpty()) {
                    group++;
                }
                name = flush(fields, name, value, fieldGroup, maxFields, notes);
            }
            char first = line.charAt(0);
            if ((first == ' ' || first == '\t') && name != null) {
                value.append(' ').append(line.strip());
                continue;
            }
            int colon = line.indexOf(':');
            String candidate = colon > 0 ? line.substring(0, colon).strip() : "";
            if (!candidate.isEmpty() && isName(candidate)) {
                name = flush(fields, name, value, fieldGroup, maxFields, notes);
                if (!candidate.equals(line.substring(0, colon))) {
                    notes.add("white space around a field name (" + candidate + ")");
                }
                name = candidate.toLowerCase(Locale.ROOT);
                value.setLength(0);
                value.append(line.substring(colon + 1).strip());
                fieldGroup = group;
            } else if (name != null) {
                notes.add("a line without a colon taken as the continuation of " + name);
                value.append(' ').append(line.strip());
            } else {
                notes.add("a line that is not a field, ignored");
            }
        }
        flush(fields, name, value, fieldGroup, maxFields, notes);
        return fields;
    }

    private static String flush(List<Field> fields, String name, StringBuilder value, int group, int maxFields,
            Notes notes) {
        if (name != null) {
            if (fields.size() < maxFields) {
                fields.add(new Field(name, value.toString().strip(), group));
            } else {
                notes.add("more than " + maxFields + " fields: the rest ignored");
            }
        }
        value.setLength(0);
        return null;
    }

    /** A field name: printable ASCII without a colon or white space (RFC 5322 §3.6.8). */
    private static boolean isName(String s) {
        if (s.length() > 76) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c > '~') {
                return false;
            }
        }
        return true;
    }
}
