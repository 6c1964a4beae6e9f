package io.reactivesmtp.bounce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fields of a delivery status part (RFC 3464 §2.2, §2.3) as a report: the per-message fields, then one
 * {@link BounceRecipient} per recipient group. Tolerant of what real MTAs write: groups not separated by a blank
 * line (a new group starts where a field repeats), recipient fields in any order, a missing {@code Action} or
 * {@code Status} inferred from the other, an address without its type, a status with a comment after it.
 */
final class DeliveryStatusReader {

    /** Per-message fields (RFC 3464 §2.2). */
    private static final Set<String> PER_MESSAGE = Set.of("original-envelope-id", "reporting-mta", "dsn-gateway",
            "received-from-mta", "arrival-date");
    /** Per-recipient fields that start a new recipient when the current one already has them. */
    private static final Set<String> PER_RECIPIENT = Set.of("original-recipient", "final-recipient", "action",
            "status", "remote-mta", "diagnostic-code", "last-attempt-date", "final-log-id", "will-retry-until");

    private static final Pattern ENHANCED = Pattern.compile("(?<![\\d.])([245])\\.(\\d{1,3})\\.(\\d{1,3})(?![\\d.])");
    private static final Pattern REPLY_CODE = Pattern.compile("(?<!\\d)([245])\\d\\d(?!\\d)");
    private static final Pattern UTF8_ESCAPE = Pattern.compile("\\\\x\\{([0-9A-Fa-f]{1,6})\\}");

    /**
     * @param message the per-message fields, by lower-case name (first value)
     * @param recipients the recipients
     */
    record Result(Map<String, String> message, List<BounceRecipient> recipients) {
    }

    private DeliveryStatusReader() {
    }

    static Result read(List<FieldBlock.Field> fields, int maxRecipients, Notes notes) {
        Map<String, String> message = new LinkedHashMap<>();
        List<Map<String, String>> groups = new ArrayList<>();
        Map<String, String> current = null;
        int currentGroup = -1;
        for (FieldBlock.Field f : fields) {
            boolean perRecipient = PER_RECIPIENT.contains(f.name());
            if (!perRecipient && (current == null || PER_MESSAGE.contains(f.name()))) {
                if (current != null) {
                    notes.add("per-message field " + f.name() + " among the recipients' fields");
                }
                message.putIfAbsent(f.name(), f.value());
                continue;
            }
            if (current != null && f.group() != currentGroup && perRecipient) {
                current = null; // a blank line ended the recipient
            }
            if (current != null && perRecipient && current.containsKey(f.name())) {
                notes.add("recipient groups not separated by a blank line");
                current = null;
            }
            if (current == null) {
                if (groups.size() >= maxRecipients) {
                    notes.add("more than " + maxRecipients + " recipients: the rest ignored");
                    break;
                }
                if (f.group() == 0 && !message.isEmpty()) {
                    notes.add("no blank line after the per-message fields");
                }
                current = new LinkedHashMap<>();
                groups.add(current);
                currentGroup = f.group();
            }
            current.putIfAbsent(f.name(), f.value());
        }
        List<BounceRecipient> recipients = new ArrayList<>();
        for (Map<String, String> g : groups) {
            BounceRecipient r = recipient(g, notes);
            if (r != null) {
                recipients.add(r);
            }
        }
        return new Result(message, recipients);
    }

    private static BounceRecipient recipient(Map<String, String> g, Notes notes) {
        String[] finalRcpt = typedAddress(g.get("final-recipient"), "Final-Recipient", notes);
        String[] original = typedAddress(g.get("original-recipient"), "Original-Recipient", notes);
        if (finalRcpt == null) {
            if (original == null) {
                notes.add("a recipient group without Final-Recipient or Original-Recipient, ignored");
                return null;
            }
            notes.add("no Final-Recipient: the Original-Recipient taken as the recipient");
            finalRcpt = original;
        }
        String diagnostic = emptyToNull(g.get("diagnostic-code"));
        String status = status(g.get("status"), diagnostic, notes);
        BounceRecipient.Action action = BounceRecipient.Action.parse(g.get("action"));
        if (action == null) {
            action = status == null ? BounceRecipient.Action.UNKNOWN : switch (status.charAt(0)) {
                case '5' -> BounceRecipient.Action.FAILED;
                case '4' -> BounceRecipient.Action.DELAYED;
                default -> BounceRecipient.Action.DELIVERED;
            };
            notes.add(g.containsKey("action") ? "an Action that is not one of RFC 3464's, inferred from the status"
                    : "no Action, inferred from the status");
        }
        return new BounceRecipient(finalRcpt[1], finalRcpt[0], original == null ? null : original[1], action, status,
                diagnostic, typeless(g.get("remote-mta")), emptyToNull(g.get("last-attempt-date")),
                emptyToNull(g.get("will-retry-until")));
    }

    /**
     * The enhanced status: the Status field's code (a comment after it dropped); when that is missing, invalid or
     * only {@code X.0.0}, the more specific code of the same class in the diagnostic; else the class of the
     * diagnostic's reply code.
     */
    static String status(String field, String diagnostic, Notes notes) {
        String status = null;
        if (field != null) {
            Matcher m = ENHANCED.matcher(field);
            if (m.find()) {
                status = m.group(1) + "." + Integer.parseInt(m.group(2)) + "." + Integer.parseInt(m.group(3));
            } else {
                notes.add("a Status that is not an enhanced status code");
            }
        } else {
            notes.add("no Status");
        }
        if (diagnostic != null && (status == null || status.endsWith(".0.0"))) {
            Matcher m = ENHANCED.matcher(diagnostic);
            if (m.find() && (status == null || status.charAt(0) == m.group(1).charAt(0))) {
                String better = m.group(1) + "." + Integer.parseInt(m.group(2)) + "." + Integer.parseInt(m.group(3));
                if (!better.equals(status)) {
                    notes.add("status " + better + " taken from the diagnostic code");
                    return better;
                }
            }
            if (status == null) {
                Matcher r = REPLY_CODE.matcher(diagnostic);
                if (r.find()) {
                    notes.add("status " + r.group(1) + ".0.0 inferred from the diagnostic's reply code");
                    return r.group(1) + ".0.0";
                }
            }
        }
        return status;
    }

    /**
     * {@code type; address} as {type, address}: the type lower case, the address stripped of angle brackets, a
     * {@code utf-8} address's {@code \x{HEX}} escapes decoded (RFC 6533 §3). Without a type, {@code rfc822}.
     */
    static String[] typedAddress(String value, String field, Notes notes) {
        if (value == null || value.isBlank()) {
            return null;
        }
        int semi = value.indexOf(';');
        String type;
        String address;
        if (semi < 0) {
            notes.add(field + " without an address type, read as rfc822");
            type = "rfc822";
            address = value;
        } else {
            type = value.substring(0, semi).strip().toLowerCase(Locale.ROOT);
            address = value.substring(semi + 1);
        }
        address = stripAngles(address.strip());
        if (type.equals("utf-8") || type.equals("utf8")) {
            address = decodeUtf8Escapes(address);
        }
        return address.isEmpty() ? null : new String[] {type.isEmpty() ? "rfc822" : type, address};
    }

    static String stripAngles(String s) {
        String t = s.strip();
        if (t.startsWith("<") && t.indexOf('>') > 0) {
            return t.substring(1, t.indexOf('>')).strip();
        }
        return t;
    }

    /** RFC 6533's {@code \x{HEXPOINT}} escapes (utf-8-addr-xtext and utf-8-addr-unitext) as characters. */
    static String decodeUtf8Escapes(String s) {
        if (s.indexOf("\\x{") < 0) {
            return s;
        }
        Matcher m = UTF8_ESCAPE.matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            int cp = Integer.parseInt(m.group(1), 16);
            m.appendReplacement(b, Matcher.quoteReplacement(Character.isValidCodePoint(cp)
                    && (cp < 0xD800 || cp > 0xDFFF) && cp >= 0x20 ? new String(Character.toChars(cp)) : m.group()));
        }
        m.appendTail(b);
        return b.toString();
    }

    /** {@code dns; mx.example.org} as {@code mx.example.org}. */
    static String typeless(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        int semi = value.indexOf(';');
        String v = (semi < 0 ? value : value.substring(semi + 1)).strip();
        return v.isEmpty() ? null : v;
    }

    static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
