package io.reactivesmtp.cli;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.reactivesmtp.bounce.BounceParseException;
import io.reactivesmtp.bounce.BounceRecipient;
import io.reactivesmtp.bounce.BounceReport;
import io.reactivesmtp.bounce.FeedbackReport;
import java.util.List;

/**
 * The JSON of {@code bounces}: one {@link Line} per message read, and the {@code --json} {@link Summary}.
 */
final class BouncesJson {

    private BouncesJson() {
    }

    /**
     * One message: what it is, its recipients or feedback, the addresses it puts on the suppression list; or the
     * error that kept it from being read.
     */
    @JsonPropertyOrder({"source", "kind", "confidence", "reportingMta", "envelopeId", "arrivalDate",
        "originalMessageId", "recipients", "feedback", "suppress", "notes", "error"})
    record Line(String source, String kind, String confidence, String reportingMta, String envelopeId,
            String arrivalDate, String originalMessageId, List<Recipient> recipients, Feedback feedback,
            List<String> suppress, List<String> notes, Error error) {

        static Line of(String source, BounceReport r, List<String> suppress) {
            return new Line(source, r.kind().name(), r.confidence().name(), r.reportingMta(), r.envelopeId(),
                    r.arrivalDate(), r.originalMessageId(), r.recipients().stream().map(Recipient::of).toList(),
                    r.feedback() == null ? null : Feedback.of(r.feedback()), suppress, r.notes(), null);
        }

        static Line failed(String source, String reason, String message) {
            return new Line(source, null, null, null, null, null, null, List.of(), null, List.of(), List.of(),
                    new Error(reason, message));
        }

        static Line failed(String source, BounceParseException e) {
            return failed(source, e.reason().name(), e.getMessage());
        }
    }

    /** A recipient of a delivery status notification or a bounce; {@code hardBounce} decides suppression. */
    @JsonPropertyOrder({"address", "addressType", "originalRecipient", "action", "status", "diagnosticCode",
        "remoteMta", "lastAttemptDate", "willRetryUntil", "hardBounce"})
    record Recipient(String address, String addressType, String originalRecipient, String action, String status,
            String diagnosticCode, String remoteMta, String lastAttemptDate, String willRetryUntil,
            boolean hardBounce) {

        static Recipient of(BounceRecipient r) {
            return new Recipient(r.address(), r.addressType(), r.originalRecipient(), r.action().name(), r.status(),
                    r.diagnosticCode(), r.remoteMta(), r.lastAttemptDate(), r.willRetryUntil(), r.hardBounce());
        }
    }

    /** A feedback report; {@code complaint} decides suppression of the complainants. */
    @JsonPropertyOrder({"feedbackType", "complaint", "complainants", "userAgent", "version", "originalMailFrom",
        "originalRcptTo", "sourceIp", "incidents", "reportedDomains", "reportedUris", "authenticationResults"})
    record Feedback(String feedbackType, boolean complaint, List<String> complainants, String userAgent,
            String version, String originalMailFrom, List<String> originalRcptTo, String sourceIp, String incidents,
            List<String> reportedDomains, List<String> reportedUris, String authenticationResults) {

        static Feedback of(FeedbackReport f) {
            return new Feedback(f.feedbackType(), f.complaint(), f.complainants(), f.userAgent(), f.version(),
                    f.originalMailFrom(), f.originalRcptTo(), f.sourceIp(), f.incidents(), f.reportedDomains(),
                    f.reportedUris(), f.authenticationResults());
        }
    }

    /** Why a message could not be read: a {@code BounceParseException.Reason} name and a message. */
    @JsonPropertyOrder({"reason", "message"})
    record Error(String reason, String message) {
    }

    /** The {@code --json} summary. */
    @JsonPropertyOrder({"inputs", "messages", "deliveryStatus", "feedback", "nonStandard", "notAReport",
        "uncertain", "unreadable", "suppressed", "output", "suppressionList", "error", "exitStatus"})
    record Summary(int inputs, long messages, long deliveryStatus, long feedback, long nonStandard, long notAReport,
            long uncertain, long unreadable, long suppressed, String output, String suppressionList, String error,
            int exitStatus) {
    }
}
