package io.reactivesmtp.bounce;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link BounceParser} read from one message. Text fields are null when the message did not give them.
 *
 * <pre>{@code
 * BounceReport r = BounceParser.defaults().parse(in);
 * if (r.kind() == BounceReport.Kind.DELIVERY_STATUS) {
 *     for (BounceRecipient rcpt : r.recipients()) {
 *         if (rcpt.hardBounce()) { suppress(rcpt.address()); }   // or simply: r.suppressions()
 *     }
 * }
 * }</pre>
 *
 * @param kind what the message is
 * @param confidence how sure the parser is of the addresses it names
 * @param reportingMta the MTA that wrote the report ({@code Reporting-MTA}, without its type), or null
 * @param envelopeId the {@code ENVID} the message was sent with ({@code Original-Envelope-Id}), or null
 * @param arrivalDate when the reporting MTA received the message ({@code Arrival-Date}) as written, or null
 * @param originalMessageId the returned message's {@code Message-ID} (angle brackets kept as written), or null
 * @param recipients the recipients of a delivery status notification or a non-standard bounce; empty otherwise
 * @param feedback the feedback report, for {@link Kind#FEEDBACK}; null otherwise
 * @param notes what was malformed and how it was read (a missing field, a missing blank line, a guess), for
 *     people; empty for a well-formed report
 */
public record BounceReport(Kind kind, Confidence confidence, String reportingMta, String envelopeId,
        String arrivalDate, String originalMessageId, List<BounceRecipient> recipients, FeedbackReport feedback,
        List<String> notes) {

    /** What a message is. */
    public enum Kind {
        /** An RFC 3464 delivery status notification ({@code message/delivery-status} or its RFC 6533 form). */
        DELIVERY_STATUS,
        /** An RFC 5965 feedback report ({@code message/feedback-report}). */
        FEEDBACK,
        /** A bounce without a machine-readable part, read from its text (qmail, old Exim, others). */
        NON_STANDARD_BOUNCE,
        /** Neither a bounce nor a feedback report (an auto-reply, a person's mail). */
        NOT_A_REPORT
    }

    /** How the addresses of a report were found. */
    public enum Confidence {
        /** From the report's machine-readable part ({@code Final-Recipient}, {@code Original-Rcpt-To}). */
        CERTAIN,
        /**
         * From a format known to name the failed address in one place: Exim's {@code X-Failed-Recipients}, qmail's
         * {@code <address>:} paragraphs, the failed-address lists of Exim and sendmail, Microsoft's original
         * recipient header in a complaint. Safe to act on.
         */
        HEURISTIC,
        /**
         * The failed or complaining address could not be found with confidence: the recipients, if any, are guesses
         * from the text, and {@link #suppressions()} leaves them out.
         */
        UNCERTAIN
    }

    /**
     * @param kind what the message is
     * @param confidence how the addresses were found
     * @param reportingMta the reporting MTA, or null
     * @param envelopeId the envelope id, or null
     * @param arrivalDate the arrival date, or null
     * @param originalMessageId the returned message's Message-ID, or null
     * @param recipients the recipients
     * @param feedback the feedback report, or null
     * @param notes the malformations read through
     */
    public BounceReport {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(confidence, "confidence");
        recipients = List.copyOf(recipients);
        notes = List.copyOf(notes);
        if (kind == Kind.FEEDBACK) {
            Objects.requireNonNull(feedback, "feedback");
        }
    }

    /**
     * The addresses a sender must not mail again, by this report: the hard bounces ({@code 5.x.x} failures) and,
     * for a complaint ({@link FeedbackReport#complaint()}), the complainants; nothing when the addresses are
     * {@link Confidence#UNCERTAIN}.
     *
     * @return the addresses, each once, in the report's order
     */
    public List<String> suppressions() {
        if (confidence == Confidence.UNCERTAIN) {
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (BounceRecipient r : recipients) {
            if (r.hardBounce()) {
                out.add(r.address());
            }
        }
        if (feedback != null && feedback.complaint()) {
            out.addAll(feedback.complainants());
        }
        return new ArrayList<>(out);
    }
}
