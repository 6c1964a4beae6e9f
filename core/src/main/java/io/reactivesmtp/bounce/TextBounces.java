package io.reactivesmtp.bounce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bounces without a delivery status part, read from their headers and text. A format that names the failed
 * addresses in one known place gives {@link BounceReport.Confidence#HEURISTIC} results: Exim's
 * {@code X-Failed-Recipients} header; qmail's (and Postfix's text) {@code <address>:} paragraphs; the indented list
 * after Exim's "The following address(es) failed:"; sendmail's "----- The following addresses had permanent fatal
 * errors -----". Otherwise the addresses next to a reply code are only guesses:
 * {@link BounceReport.Confidence#UNCERTAIN}.
 */
final class TextBounces {

    private static final Pattern DAEMON = Pattern.compile(
            "(?i)(?:^|[<\\s\"])(mailer-daemon|postmaster|mail-daemon|mailer|mail delivery (?:system|subsystem))\\b");
    private static final Pattern SUBJECT = Pattern.compile("(?i)undeliver|returned mail|delivery status notification"
            + "|delivery (?:failure|failed|has failed|problem)|mail delivery failed|failure notice|non-?delivery"
            + "|could not be delivered|returned to sender|mail system error");
    private static final Pattern CODE = Pattern.compile("(?<![\\d.])([45])(\\d\\d)(?:[ -]([45]\\.\\d{1,3}\\.\\d{1,3}))?"
            + "(?![\\d.])");
    private static final Pattern ENHANCED = Pattern.compile("(?<![\\d.])([45])\\.(\\d{1,3})\\.(\\d{1,3})(?![\\d.])");
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\\u0080-\\uFFFF-]{1,64}"
            + "@[A-Za-z0-9\\u0080-\\uFFFF-]{1,63}(?:\\.[A-Za-z0-9\\u0080-\\uFFFF-]{1,63}){1,8}");
    private static final Pattern ANGLED_PARAGRAPH = Pattern.compile("(?m)^<([^<>\\s]{1,254}@[^<>\\s]{1,254})>:");
    private static final Pattern SENDMAIL_LIST = Pattern.compile(
            "(?im)^-+\\s*The following addresses had permanent fatal errors\\s*-+$");
    private static final Pattern EXIM_LIST = Pattern.compile("(?im)^.*following address(?:\\(es\\)|es)? failed:\\s*$");
    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^[ \\t]*Message-ID:[ \\t]*(<[^<>\\s]{1,998}>)");
    private static final Pattern PERMANENT = Pattern.compile("(?i)permanent (?:fatal )?error|I'm not going to try again"
            + "|has been rejected|unrecoverable");
    private static final Pattern TEMPORARY = Pattern.compile("(?i)temporary (?:error|failure|problem)"
            + "|will (?:keep trying|be retried|try again)|delayed|not yet been delivered|still (?:trying|being retried)");

    /**
     * What the text gave.
     *
     * @param recipients the failed addresses found
     * @param confidence how they were found
     * @param originalMessageId the returned message's Message-ID found in the text, or null
     */
    record Result(List<BounceRecipient> recipients, BounceReport.Confidence confidence, String originalMessageId) {
    }

    private TextBounces() {
    }

    /**
     * Whether a message without a report part is a bounce at all (rather than an auto-reply or a person's mail).
     *
     * @param headers the top-level header fields by lower-case name
     * @param text the first text part (may be empty)
     */
    static boolean isBounce(Map<String, String> headers, String text) {
        if (headers.containsKey("x-failed-recipients") || text.contains("This is the qmail-send program")) {
            return true;
        }
        boolean daemon = DAEMON.matcher(headers.getOrDefault("from", "")).find();
        boolean subject = SUBJECT.matcher(headers.getOrDefault("subject", "")).find();
        boolean nullSender = headers.getOrDefault("return-path", "").replace(" ", "").equals("<>");
        boolean codes = CODE.matcher(text).find();
        return daemon && (subject || codes) || subject && nullSender && codes;
    }

    /**
     * Reads the failed addresses from a bounce's headers and text.
     *
     * @param headers the top-level header fields by lower-case name
     * @param text the first text part (may be empty)
     * @param maxRecipients at most this many
     * @param notes where guesses are noted
     */
    static Result read(Map<String, String> headers, String text, int maxRecipients, Notes notes) {
        boolean permanent = PERMANENT.matcher(text).find() || !TEMPORARY.matcher(text).find();
        Map<String, String> found = new LinkedHashMap<>(); // address -> its paragraph
        String failed = headers.get("x-failed-recipients");
        if (failed != null) {
            for (String a : failed.split(",")) {
                String address = DeliveryStatusReader.stripAngles(a);
                if (ADDRESS.matcher(address).matches()) {
                    found.putIfAbsent(address, paragraphAt(text, text.indexOf(address)));
                }
            }
            notes.add("failed addresses from X-Failed-Recipients");
        }
        if (found.isEmpty()) {
            Matcher m = ANGLED_PARAGRAPH.matcher(text);
            while (m.find() && found.size() < maxRecipients) {
                found.putIfAbsent(m.group(1), paragraphAt(text, m.start()));
            }
            if (!found.isEmpty()) {
                notes.add("failed addresses from <address>: paragraphs (qmail, Postfix text)");
            }
        }
        if (found.isEmpty()) {
            listAfter(text, EXIM_LIST, found, maxRecipients, "failed addresses from the list after \"The following "
                    + "address(es) failed:\" (Exim)", notes);
        }
        if (found.isEmpty()) {
            listAfter(text, SENDMAIL_LIST, found, maxRecipients, "failed addresses from sendmail's list of permanent "
                    + "fatal errors", notes);
        }
        BounceReport.Confidence confidence = BounceReport.Confidence.HEURISTIC;
        if (found.isEmpty()) {
            confidence = BounceReport.Confidence.UNCERTAIN;
            guess(headers, text, found, maxRecipients, notes);
        }
        List<BounceRecipient> recipients = new ArrayList<>();
        for (Map.Entry<String, String> e : found.entrySet()) {
            if (recipients.size() >= maxRecipients) {
                notes.add("more than " + maxRecipients + " recipients: the rest ignored");
                break;
            }
            recipients.add(recipient(e.getKey(), e.getValue(), permanent));
        }
        Matcher id = MESSAGE_ID.matcher(text);
        return new Result(recipients, confidence, id.find() ? id.group(1) : null);
    }

    private static BounceRecipient recipient(String address, String paragraph, boolean permanent) {
        String status = null;
        Matcher e = ENHANCED.matcher(paragraph);
        Matcher c = CODE.matcher(paragraph);
        if (e.find()) {
            status = e.group(1) + "." + Integer.parseInt(e.group(2)) + "." + Integer.parseInt(e.group(3));
        } else if (c.find()) {
            status = c.group(1) + ".0.0";
        }
        if (status == null) {
            status = permanent ? "5.0.0" : "4.0.0";
        }
        BounceRecipient.Action action = status.startsWith("5") || permanent
                ? BounceRecipient.Action.FAILED : BounceRecipient.Action.DELAYED;
        String diagnostic = paragraph.isBlank() ? null : paragraph.strip().replaceAll("\\s+", " ");
        if (diagnostic != null && diagnostic.length() > 1000) {
            diagnostic = diagnostic.substring(0, 1000);
        }
        return new BounceRecipient(address, "rfc822", null, action, status, diagnostic, null, null, null);
    }

    /** The addresses on the indented lines after a heading, up to the first line that is not indented. */
    private static void listAfter(String text, Pattern heading, Map<String, String> found, int max, String note,
            Notes notes) {
        Matcher h = heading.matcher(text);
        if (!h.find()) {
            return;
        }
        String[] lines = text.substring(h.end()).split("\r\n|\n|\r", -1);
        int i = 0;
        while (i < lines.length && lines[i].isBlank()) {
            i++;
        }
        int indent = -1;
        for (; i < lines.length && found.size() < max; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                // Exim separates the failed addresses with blank lines; the list ends at a line that is not indented.
                continue;
            }
            int lead = line.length() - line.stripLeading().length();
            if (indent < 0) {
                indent = lead;
            }
            if (lead < indent || (lead == 0 && !line.startsWith("<"))) {
                break;
            }
            if (lead == indent) {
                Matcher a = ADDRESS.matcher(line);
                if (a.find()) {
                    found.putIfAbsent(a.group(), paragraphAt(text, h.end() + text.substring(h.end()).indexOf(line)));
                }
            }
        }
        if (!found.isEmpty()) {
            notes.add(note);
        }
    }

    /** Addresses on lines with a reply code, other than the report's own correspondents: guesses. */
    private static void guess(Map<String, String> headers, String text, Map<String, String> found, int max,
            Notes notes) {
        String own = (headers.getOrDefault("from", "") + " " + headers.getOrDefault("to", "")).toLowerCase(Locale.ROOT);
        for (String line : text.split("\r\n|\n|\r")) {
            if (!CODE.matcher(line).find()) {
                continue;
            }
            Matcher a = ADDRESS.matcher(line);
            while (a.find() && found.size() < max) {
                if (!own.contains(a.group().toLowerCase(Locale.ROOT))) {
                    found.putIfAbsent(a.group(), line);
                }
            }
        }
        notes.add(found.isEmpty() ? "a bounce, but no failed address could be found in it"
                : "failed addresses guessed from lines with a reply code: not certain");
    }

    /** The text from {@code start} to the next blank line (at most 2,000 characters). */
    private static String paragraphAt(String text, int start) {
        if (start < 0) {
            return "";
        }
        int end = Math.min(text.length(), start + 2000);
        Matcher blank = Pattern.compile("\\n[ \\t]*\\r?\\n").matcher(text).region(start, end);
        return text.substring(start, blank.find() ? blank.start() : end);
    }
}
