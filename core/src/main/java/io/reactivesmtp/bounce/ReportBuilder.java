package io.reactivesmtp.bounce;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Makes the {@link BounceReport} of a message from its {@link MessageParts}. */
final class ReportBuilder {

    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^[ \\t]*Message-ID:[ \\t]*(\\S[^\\r\\n]{0,997})");
    private static final Pattern ADDRESS = Pattern.compile("[^\\s<>\",;:()@]{1,64}@[^\\s<>\",;:()@]{1,253}");

    private ReportBuilder() {
    }

    static BounceReport build(MessageParts p, int maxRecipients) {
        boolean feedback = p.feedbackReport != null
                && (p.deliveryStatus == null || "feedback-report".equals(p.reportType));
        if (feedback) {
            return feedback(p, maxRecipients);
        }
        if (p.deliveryStatus != null) {
            return deliveryStatus(p, maxRecipients);
        }
        if (TextBounces.isBounce(p.headers, p.text)) {
            TextBounces.Result t = TextBounces.read(p.headers, p.text, maxRecipients, p.notes);
            return new BounceReport(BounceReport.Kind.NON_STANDARD_BOUNCE, t.confidence(), null, null, null,
                    originalMessageId(p, t.originalMessageId()), t.recipients(), null, p.notes.list());
        }
        return new BounceReport(BounceReport.Kind.NOT_A_REPORT, BounceReport.Confidence.UNCERTAIN, null, null, null,
                null, List.of(), null, p.notes.list());
    }

    private static BounceReport deliveryStatus(MessageParts p, int maxRecipients) {
        Notes notes = p.notes;
        List<FieldBlock.Field> fields = FieldBlock.parse(p.deliveryStatus, maxFields(maxRecipients), notes);
        DeliveryStatusReader.Result r = DeliveryStatusReader.read(fields, maxRecipients, notes);
        Map<String, String> m = r.message();
        if (!m.containsKey("reporting-mta")) {
            notes.add("no Reporting-MTA");
        }
        BounceReport.Confidence confidence = BounceReport.Confidence.CERTAIN;
        List<BounceRecipient> recipients = r.recipients();
        String textMessageId = null;
        if (recipients.isEmpty()) {
            notes.add("the delivery status part names no recipient: the text was read instead");
            TextBounces.Result t = TextBounces.read(p.headers, p.text, maxRecipients, notes);
            recipients = t.recipients();
            confidence = t.confidence();
            textMessageId = t.originalMessageId();
        }
        return new BounceReport(BounceReport.Kind.DELIVERY_STATUS, confidence,
                DeliveryStatusReader.typeless(m.get("reporting-mta")),
                DeliveryStatusReader.emptyToNull(m.get("original-envelope-id")),
                DeliveryStatusReader.emptyToNull(m.get("arrival-date")),
                originalMessageId(p, textMessageId), recipients, null, notes.list());
    }

    private static BounceReport feedback(MessageParts p, int maxRecipients) {
        Notes notes = p.notes;
        List<FieldBlock.Field> fields = FieldBlock.parse(p.feedbackReport, maxFields(maxRecipients), notes);
        String type = first(fields, "feedback-type");
        if (type == null) {
            notes.add("no Feedback-Type");
            type = "unknown";
        }
        if (first(fields, "user-agent") == null) {
            notes.add("no User-Agent");
        }
        if (first(fields, "version") == null) {
            notes.add("no Version");
        }
        String arrival = first(fields, "arrival-date");
        if (arrival == null && first(fields, "received-date") != null) {
            arrival = first(fields, "received-date");
            notes.add("Received-Date taken as the Arrival-Date");
        }
        List<String> rcptTo = new ArrayList<>();
        for (String v : all(fields, "original-rcpt-to")) {
            if (rcptTo.size() < maxRecipients) {
                rcptTo.add(DeliveryStatusReader.stripAngles(v));
            }
        }
        BounceReport.Confidence confidence = BounceReport.Confidence.CERTAIN;
        List<String> complainants = new ArrayList<>(rcptTo);
        Map<String, String> returned = p.returnedHeaders == null ? Map.of() : p.returnedHeaders;
        if (complainants.isEmpty()) {
            confidence = BounceReport.Confidence.HEURISTIC;
            String microsoft = returned.get("x-hmxmroriginalrecipient");
            List<String> to = addresses(returned.getOrDefault("to", ""));
            if (microsoft != null && !addresses(microsoft).isEmpty()) {
                complainants.add(addresses(microsoft).get(0));
                notes.add("no Original-Rcpt-To: the complainant taken from X-HmXmrOriginalRecipient (Microsoft)");
            } else if (to.size() == 1 && !to.get(0).toLowerCase(Locale.ROOT).contains("redacted")) {
                complainants.add(to.get(0));
                notes.add("no Original-Rcpt-To: the complainant taken from the returned message's To");
            } else {
                confidence = BounceReport.Confidence.UNCERTAIN;
                notes.add("no Original-Rcpt-To and no single recipient in the returned message: complainant unknown");
            }
        }
        FeedbackReport report = new FeedbackReport(type.toLowerCase(Locale.ROOT).split("[\\s;(]", 2)[0],
                first(fields, "user-agent"), first(fields, "version"),
                strip(first(fields, "original-mail-from")), rcptTo, arrival, first(fields, "source-ip"),
                first(fields, "incidents"), all(fields, "reported-domain"), all(fields, "reported-uri"),
                first(fields, "authentication-results"), complainants);
        return new BounceReport(BounceReport.Kind.FEEDBACK, confidence,
                DeliveryStatusReader.typeless(first(fields, "reporting-mta")),
                first(fields, "original-envelope-id"), arrival, originalMessageId(p, null), List.of(), report,
                notes.list());
    }

    private static int maxFields(int maxRecipients) {
        return (int) Math.min(100_000, 50L + 20L * maxRecipients);
    }

    private static String originalMessageId(MessageParts p, String fromText) {
        if (p.returnedHeaders != null && p.returnedHeaders.get("message-id") != null) {
            return DeliveryStatusReader.emptyToNull(p.returnedHeaders.get("message-id"));
        }
        if (fromText != null) {
            return fromText;
        }
        Matcher m = MESSAGE_ID.matcher(p.text);
        return m.find() ? m.group(1).strip() : null;
    }

    private static String first(List<FieldBlock.Field> fields, String name) {
        for (FieldBlock.Field f : fields) {
            if (f.name().equals(name) && !f.value().isBlank()) {
                return f.value();
            }
        }
        return null;
    }

    private static List<String> all(List<FieldBlock.Field> fields, String name) {
        List<String> out = new ArrayList<>();
        for (FieldBlock.Field f : fields) {
            if (f.name().equals(name) && !f.value().isBlank()) {
                out.add(f.value());
            }
        }
        return out;
    }

    private static String strip(String s) {
        return s == null ? null : DeliveryStatusReader.stripAngles(s);
    }

    /** The addr-specs in a header value such as {@code "Ann" <ann@example.com>, bob@example.org}. */
    private static List<String> addresses(String value) {
        List<String> out = new ArrayList<>();
        Matcher m = ADDRESS.matcher(value);
        while (m.find() && out.size() < 10) {
            out.add(m.group());
        }
        return out;
    }
}
