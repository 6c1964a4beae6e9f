package io.reactivesmtp.cli;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.reactor.MessageResult;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The counters of one {@code bulk} run, updated from any thread, and the lines and JSON made from them. */
final class BulkStats {

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
    /** Messages with a result. */
    final AtomicLong completed = new AtomicLong();
    final AtomicLong badLines = new AtomicLong();
    final AtomicLong skipped = new AtomicLong();
    final AtomicLong linesRead = new AtomicLong();
    /** Sessions that became ready (SmtpEventListener.sessionReady). */
    final AtomicLong connections = new AtomicLong();
    final Map<Integer, LongAdder> replyCodes = new ConcurrentSkipListMap<>();

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
        return Math.max(0, submitted.get() - completed.get());
    }

    static double perSecond(long n, long elapsedNanos) {
        return elapsedNanos <= 0 ? 0 : n * 1e9 / elapsedNanos;
    }

    /**
     * The progress line: elapsed time, messages and their rate, recipients by outcome, and an ETA when the
     * number of lines is known.
     *
     * @param elapsedNanos since the start
     * @param totalLines the file's line count, or -1 when unknown
     * @return the line, without a line break
     */
    String progress(long elapsedNanos, long totalLines) {
        long msgs = completed.get();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "[%s] %d messages (%.1f/s), in flight %d | recipients: %d accepted, "
                        + "%d rejected, %d transient, %d unknown",
                duration(elapsedNanos), msgs, perSecond(msgs, elapsedNanos), Math.max(0, submitted.get() - msgs),
                rcptAccepted.sum(), rcptRefused.sum(), rcptTransient.sum(), rcptUnknown.sum()));
        if (badLines.get() > 0) {
            b.append(", ").append(badLines.get()).append(" bad lines");
        }
        if (totalLines >= 0) {
            long read = linesRead.get();
            double rate = perSecond(read, elapsedNanos);
            if (read >= totalLines) {
                b.append(" | ETA: last messages in flight");
            } else if (rate > 0) {
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

    /** @return reply codes as a JSON object, {@code {"250": 298, "451": 1}} */
    String replyCodesJson() {
        StringBuilder b = new StringBuilder("{");
        new TreeMap<>(replyCodes).forEach((code, n) -> b.append(b.length() == 1 ? "" : ", ")
                .append('"').append(code).append("\": ").append(n.sum()));
        return b.append('}').toString();
    }
}
