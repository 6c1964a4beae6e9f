package io.reactivesmtp.cli;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.reactor.MessageResult;
import io.reactivesmtp.reactor.OutgoingMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What {@code bulk} makes of its recipients and of the client's results: a message per batch of recipients (its id
 * is the batch), and per result the counts in {@link BulkStats} and the line queued for the {@link BulkReport}. Runs
 * on the thread that delivers a result: nothing here blocks.
 */
final class BulkResults {

    private BulkResults() {
    }

    /**
     * The message for a batch of recipients; its id is the batch, whose first line is the message id.
     *
     * @param content the content for the batch's envelope (the same file for all, or one composed per message)
     */
    static OutgoingMessage message(List<RecipientFile.Recipient> batch, MailAddress sender,
            Function<Envelope, MessageContent> content) {
        List<MailAddress> to = new ArrayList<>(batch.size());
        for (RecipientFile.Recipient r : batch) {
            to.add(r.address());
        }
        Envelope envelope = Envelope.builder().from(sender).to(to).build();
        return OutgoingMessage.of(batch, envelope, content.apply(envelope));
    }

    /**
     * Counts a result and queues its report line, unless the message was already recorded as abandoned (see
     * {@link #recordAbandoned}; the caller removes abandoned messages from {@code inFlight} one by one).
     */
    static void record(MessageResult result, BulkStats stats, BulkReport writer,
            Map<Long, List<RecipientFile.Recipient>> inFlight) {
        @SuppressWarnings("unchecked")
        List<RecipientFile.Recipient> batch = (List<RecipientFile.Recipient>) result.id();
        // Claimed and recorded in one step: a run that gives up on its messages in flight (and then writes the
        // report's end line) removes them from the same map, and so waits for a result being recorded right now.
        inFlight.computeIfPresent(batch.get(0).line(), (line, claimed) -> {
            recordClaimed(result, batch, stats, writer);
            return null;
        });
    }

    private static void recordClaimed(MessageResult result, List<RecipientFile.Recipient> batch, BulkStats stats,
            BulkReport writer) {
        // Each address's line (its first, when an address repeats), taken by the first result for it; a batch of
        // one (the usual --per-message 1) needs no map, and its result carries the very MailAddress it was read as.
        RecipientFile.Recipient only = batch.size() == 1 ? batch.get(0) : null;
        boolean onlyTaken = false;
        Map<String, Long> lines = null;
        if (only == null) {
            lines = new HashMap<>();
            for (RecipientFile.Recipient r : batch) {
                lines.putIfAbsent(r.text(), r.line());
            }
        }
        SmtpException error = result.error().orElse(null);
        // The refusal of a session (a 421 greeting) is the reply that decided its recipients' fate.
        SmtpReply refusal = error instanceof SmtpSessionRejectedException rejected ? rejected.reply() : null;
        List<BulkReport.Entry> entries = new ArrayList<>(batch.size());
        List<String> errors = new ArrayList<>(1);
        // With --mx: each recipient domain's TLS level, from the report or from the failure's partial one.
        Map<String, MxTlsStatus> tls = result.report().or(() -> result.error().flatMap(SmtpException::partialReport))
                .map(SendReport::mxTls).filter(m -> !m.isEmpty()).orElse(null);
        if (error != null) {
            errors.add(ReportPrinter.oneLine(error.getMessage()));
        }
        // One result per recipient: without a verdict, transient, permanent (no MX) or unknown after the data.
        for (RecipientResult r : result.recipients()) {
            String address;
            Long line = null;
            if (only != null) {
                address = r.address() == only.address() ? only.text() : r.address().toString();
                if (!onlyTaken && address.equals(only.text())) {
                    onlyTaken = true;
                    line = only.line();
                }
            } else {
                address = r.address().toString();
                line = lines.remove(address);
            }
            BulkReport.Entry entry = BulkReport.Entry.of(r, address, line == null ? 0 : line);
            if (error != null && r.reply().isEmpty()) {
                entry = refusal != null && r.status() == RecipientResult.Status.TRANSIENT_FAILURE
                        ? new BulkReport.Entry(address, entry.line(), entry.status(), refusal.code(),
                                refusal.enhancedStatus().orElse(null), ReportPrinter.oneLine(refusal.text()))
                        : new BulkReport.Entry(address, entry.line(), entry.status(), 0, null,
                                ReportPrinter.oneLine(error.getMessage()));
            } else if (entry.code() >= 400) {
                errors.add(entry.code() + (entry.enhancedStatus() == null ? "" : " " + entry.enhancedStatus()) + " "
                        + ReportPrinter.oneLine(entry.text()));
            }
            entries.add(tls == null ? entry
                    : entry.withTls(tls.get(r.address().asciiDomain().toLowerCase(java.util.Locale.ROOT))));
        }
        // Recipients the result did not cover (a message whose recipients repeat an address): no result.
        for (RecipientFile.Recipient r : batch) {
            if (only != null ? !onlyTaken : lines.remove(r.text()) != null) {
                entries.add(new BulkReport.Entry(r.text(), r.line(), RecipientResult.Status.UNDETERMINED.name(), 0,
                        null, "no result"));
            }
        }
        count(stats, result.outcome(), entries, errors);
        if (writer != null) {
            writer.add(batch.get(0).line(), result.outcome().name(), entries, error);
        }
    }

    /** A message given up on in flight: no verdict, and the server may have it. */
    static void recordAbandoned(List<RecipientFile.Recipient> batch, BulkStats stats, BulkReport writer) {
        String why = "abandoned in flight when the run was stopped: the server may have it";
        List<BulkReport.Entry> entries = new ArrayList<>(batch.size());
        for (RecipientFile.Recipient r : batch) {
            entries.add(new BulkReport.Entry(r.text(), r.line(), RecipientResult.Status.UNDETERMINED.name(), 0, null,
                    why));
        }
        stats.abandoned.incrementAndGet();
        count(stats, MessageResult.Outcome.UNKNOWN, entries, List.of("abandoned in flight"));
        if (writer != null) {
            writer.add(batch.get(0).line(), MessageResult.Outcome.UNKNOWN.name(), entries, null);
        }
    }

    private static void count(BulkStats stats, MessageResult.Outcome outcome, List<BulkReport.Entry> entries,
            List<String> errors) {
        List<RecipientResult.Status> statuses = new ArrayList<>(entries.size());
        int[] codes = new int[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            statuses.add(RecipientResult.Status.valueOf(entries.get(i).status()));
            codes[i] = entries.get(i).code();
        }
        stats.result(outcome, statuses, codes, errors);
    }
}
