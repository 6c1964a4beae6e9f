package io.reactivesmtp.cli;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.reactor.MessageResult;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one {@code bulk} run, updated from any thread, and the lines and JSON made from them. A result is
 * counted under the lock ({@link #result}) and the progress line reads under it, so that the line never shows more
 * accepted recipients than messages with a result.
 */
final class BulkStats {

    /** The ETA waits for this much rate before it says anything. */
    static final long ETA_AFTER_NANOS = 3_000_000_000L;
    /** Distinct error texts counted; others go under {@link #OTHER_ERRORS}. */
    static final int MAX_ERROR_KINDS = 1000;
    static final String OTHER_ERRORS = "(other errors)";

    final LongAdder delivered = new LongAdder();
    final LongAdder partial = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder unknown = new LongAdder();

    final LongAdder rcptAccepted = new LongAdder();
    final LongAdder rcptRefused = new LongAdder();
    final LongAdder rcptTransient = new LongAdder();
    final LongAdder rcptUnknown = new LongAdder();

    /** Messages handed to the client. */
    final AtomicLong submitted = new AtomicLong();
    /** Messages with a result (or given up on). */
    final AtomicLong completed = new AtomicLong();
    /** Messages given up on in flight (the drain after Ctrl-C timed out). */
    final AtomicLong abandoned = new AtomicLong();
    final AtomicLong badLines = new AtomicLong();
    final AtomicLong skipped = new AtomicLong();
    /** Recipients left out because they are on the --suppress list. */
    final AtomicLong suppressed = new AtomicLong();
    /** Of {@link #skipped}: recipients whose outcome was unknown in the --retry-from report (no --retry-unknown). */
    final AtomicLong skippedUnknown = new AtomicLong();
    final AtomicLong linesRead = new AtomicLong();
    /** Sessions that became ready (SmtpEventListener.sessionReady). */
    final AtomicLong connections = new AtomicLong();
    final Map<Integer, LongAdder> replyCodes = new ConcurrentSkipListMap<>();
    /** Errors without a verdict (per message) and refusals (per recipient), by text. */
    private final Map<String, Long> errors = new HashMap<>();

    /**
     * Counts one message's result: the recipients' statuses and codes, the errors, then the message.
     *
     * @param outcome the message's outcome
     * @param statuses its recipients' statuses
     * @param codes their reply codes (0 for none), same order
     * @param errorTexts the texts to count as errors (the message's error, the refusals)
     */
    synchronized void result(MessageResult.Outcome outcome, List<RecipientResult.Status> statuses, int[] codes,
            List<String> errorTexts) {
        for (int i = 0; i < statuses.size(); i++) {
            recipient(statuses.get(i), codes[i]);
        }
        for (String e : errorTexts) {
            String key = errors.size() < MAX_ERROR_KINDS || errors.containsKey(e) ? e : OTHER_ERRORS;
            errors.merge(key, 1L, Long::sum);
        }
        message(outcome);
    }

    /**
     * @param n how many
     * @return the most frequent error texts with their counts, most frequent first
     */
    synchronized List<Map.Entry<String, Long>> topErrors(int n) {
        return errors.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(n).map(e -> Map.entry(e.getKey(), e.getValue())).toList();
    }

    /** @return the errors as text: {@code 1000 x connection refused; 3 x 550 5.1.1 no such user}, or "none" */
    String topErrorsText(int n) {
        List<Map.Entry<String, Long>> top = topErrors(n);
        if (top.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Long> e : top) {
            b.append(b.length() == 0 ? "" : "; ").append(e.getValue()).append(" x ").append(e.getKey());
        }
        return b.toString();
    }

    /**
     * An error text and how often it came.
     *
     * @param error the text
     * @param count how many times
     */
    record ErrorCount(String error, long count) {
    }

    /** @return the {@code n} most frequent errors, most frequent first */
    List<ErrorCount> topErrorCounts(int n) {
        return topErrors(n).stream().map(e -> new ErrorCount(e.getKey(), e.getValue())).toList();
    }

    void message(MessageResult.Outcome outcome) {
        switch (outcome) {
            case DELIVERED -> delivered.increment();
            case PARTIAL -> partial.increment();
            case REJECTED -> rejected.increment();
            case FAILED -> failed.increment();
            default -> unknown.increment();
        }
        completed.incrementAndGet();
    }

    void recipient(RecipientResult.Status status, int code) {
        switch (status) {
            case ACCEPTED -> rcptAccepted.increment();
            case PERMANENT_FAILURE -> rcptRefused.increment();
            case TRANSIENT_FAILURE -> rcptTransient.increment();
            // UNKNOWN_AFTER_DATA (sent, no reply) and UNDETERMINED (no result: abandoned in flight).
            default -> rcptUnknown.increment();
        }
        if (code != 0) {
            replyCodes.computeIfAbsent(code, c -> new LongAdder()).increment();
        }
    }

    long recipients() {
        return rcptAccepted.sum() + rcptRefused.sum() + rcptTransient.sum() + rcptUnknown.sum();
    }

    /** Messages handed to the client that never got a result (the drain after Ctrl-C timed out). */
    long abandoned() {
        return abandoned.get();
    }

    static double perSecond(long n, long elapsedNanos) {
        return elapsedNanos <= 0 ? 0 : n * 1e9 / elapsedNanos;
    }

    /**
     * The progress line: elapsed time, messages with a result and their rate, the messages at a server (handed to
     * the client, no result yet), recipients by outcome, the report writer's lag when it has one, and an ETA once
     * there are a few seconds of rate and the number of lines is known.
     *
     * @param elapsedNanos since the start
     * @param totalLines the file's line count, or -1 when unknown
     * @param reportBehind results not yet in the report file (0 without a report)
     * @param reportLagShown from this lag on, the line shows it
     * @return the line, without a line break
     */
    synchronized String progress(long elapsedNanos, long totalLines, long reportBehind, long reportLagShown) {
        long msgs = completed.get();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "[%s] %d messages (%.1f/s), in flight %d | recipients: %d accepted, "
                        + "%d rejected, %d transient, %d unknown",
                duration(elapsedNanos), msgs, perSecond(msgs, elapsedNanos), Math.max(0, submitted.get() - msgs),
                rcptAccepted.sum(), rcptRefused.sum(), rcptTransient.sum(), rcptUnknown.sum()));
        if (badLines.get() > 0) {
            b.append(", ").append(badLines.get()).append(" bad line(s)");
        }
        if (reportBehind >= reportLagShown && reportBehind > 0) {
            b.append(" | report: ").append(reportBehind).append(" result(s) waiting to be written");
        }
        if (totalLines >= 0) {
            long read = linesRead.get();
            double rate = perSecond(read, elapsedNanos);
            if (read >= totalLines) {
                b.append(" | ETA: last messages in flight");
            } else if (elapsedNanos >= ETA_AFTER_NANOS && rate > 0) {
                b.append(" | ETA ").append(duration((long) ((totalLines - read) / rate * 1e9)));
            }
        }
        return b.toString();
    }

    /** @return {@code 1:02:03}, {@code 2:03} or {@code 3.4s} */
    static String duration(long nanos) {
        long s = nanos / 1_000_000_000L;
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1fs", nanos / 1e9);
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    /** @return reply codes in order, {@code "250 x298, 451 x1"}, or {@code "none"} */
    String replyCodesText() {
        if (replyCodes.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        new TreeMap<>(replyCodes).forEach((code, n) -> b.append(b.length() == 0 ? "" : ", ")
                .append(code).append(" x").append(n.sum()));
        return b.toString();
    }

    /** @return how often each reply code came, by code in ascending order: {@code {"250": 298, "451": 1}} */
    Map<String, Long> replyCodeCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        new TreeMap<>(replyCodes).forEach((code, n) -> counts.put(Integer.toString(code), n.sum()));
        return counts;
    }
}
