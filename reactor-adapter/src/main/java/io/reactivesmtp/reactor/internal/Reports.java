package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Merges the per-domain transactions of one message (MX mode) into one report.
 *
 * <p>Recipients keep the order of the original envelope. Server address, capabilities, TLS, MAIL and data
 * replies come from the first domain (in envelope order) that has a report: one report cannot hold several
 * servers. Start is the earliest, duration the longest. When a domain got no verdict, the merged report is
 * partial (its recipients carry that domain's partial results, or are undetermined; or PERMANENT_FAILURE when the
 * domain accepts no mail) and travels in the error.
 */
final class Reports {

    private Reports() {
    }

    /** One domain's outcome: a report or an error. */
    static final class Part {
        final Envelope envelope;
        final SendReport report;
        final SmtpException error;

        Part(Envelope envelope, SendReport report, SmtpException error) {
            this.envelope = envelope;
            this.report = report;
            this.error = error;
        }

        SendReport anyReport() {
            return report != null ? report : error.partialReport().orElse(null);
        }
    }

    static Mono<SendReport> merge(Envelope envelope, List<Part> parts) {
        Map<MailAddress, RecipientResult> results = new HashMap<>();
        SendReport first = null;
        Instant start = null;
        Duration duration = Duration.ZERO;
        SmtpException error = null;
        Map<String, MxTlsStatus> mxTls = new LinkedHashMap<>();
        for (Part p : parts) {
            SendReport r = p.anyReport();
            boolean permanent = p.error != null && p.error.isPermanent();
            if (r != null) {
                mxTls.putAll(r.mxTls());
                r.recipients().forEach(x -> results.put(x.address(), permanent ? permanent(x) : x));
                first = first == null ? r : first;
                start = start == null || r.startedAt().isBefore(start) ? r.startedAt() : start;
                duration = r.duration().compareTo(duration) > 0 ? r.duration() : duration;
            }
            for (MailAddress a : p.envelope.recipients()) {
                results.putIfAbsent(a, permanent ? RecipientResult.withoutReply(a, RecipientResult.Status.PERMANENT_FAILURE,
                        null) : RecipientResult.undetermined(a, null));
            }
            if (p.error != null && (error == null
                    || p.error instanceof SmtpUnknownOutcomeException && !(error instanceof SmtpUnknownOutcomeException))) {
                // The first failure, unless a later one is an unknown outcome: that one forbids a blind retry.
                error = p.error;
            }
        }
        SendReport.Builder b = SendReport.builder().envelope(envelope).duration(duration);
        if (start != null) {
            b.startedAt(start);
        }
        if (first != null) {
            b.serverAddress(first.serverAddress().orElse(null)).capabilities(first.capabilities().orElse(null))
                    .tls(first.tls().orElse(null)).mailReply(first.mailReply().orElse(null))
                    .dataReply(first.dataReply().orElse(null));
        }
        for (MailAddress a : envelope.recipients()) {
            b.recipient(results.get(a));
        }
        mxTls.values().forEach(b::mxTls);
        SendReport merged = b.build();
        return error == null ? Mono.just(merged) : Mono.error(withPartialReport(error, merged));
    }

    /** A recipient of a domain that accepts no mail: without a verdict of its own, refused for good. */
    private static RecipientResult permanent(RecipientResult r) {
        return r.status() != RecipientResult.Status.UNDETERMINED ? r
                : RecipientResult.withoutReply(r.address(), RecipientResult.Status.PERMANENT_FAILURE,
                        r.rcptReply().orElse(null));
    }

    /** The same failure carrying the merged partial report (every SmtpException type can carry one). */
    static SmtpException withPartialReport(SmtpException e, SendReport merged) {
        return e.withPartialReport(merged);
    }
}
