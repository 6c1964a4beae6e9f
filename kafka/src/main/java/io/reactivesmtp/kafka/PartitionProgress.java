package io.reactivesmtp.kafka;

import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The commit bookkeeping of one source partition: which offsets were taken, which are done (their report
 * acknowledged by the broker), and so how far the partition may be committed, and from which reports-topic and
 * retry-topic offsets a new owner must read to see the reports and retry jobs of every job past the commit.
 *
 * <p>Jobs complete out of order. The committable offset is the lowest offset taken and not yet done, or one past
 * the highest taken when all are done: everything below it has an acknowledged report. Jobs done beyond it keep
 * their report offsets here, so the commit's metadata can point a new owner at the earliest of them.
 * Not thread-safe: the worker's poll thread owns it.
 */
final class PartitionProgress {

    private final TreeSet<Long> pending = new TreeSet<>();
    // Source offset -> the lowest reports-topic offset of a report for it, for source offsets >= committed.
    private final TreeMap<Long, Long> reported = new TreeMap<>();
    // Source offset -> the lowest retry-topic offset of a retry job whose parent it is, for offsets >= committed.
    private final TreeMap<Long, Long> retried = new TreeMap<>();
    private long next;
    private long committed;
    private long reportsEnd;
    private long retriesEnd;

    /**
     * @param committed the committed offset the partition starts from
     * @param reportsEnd the reports-partition offset up to which the reports were read (its end at assignment)
     * @param retriesEnd the retry-partition offset up to which the retry jobs were read (its end at assignment)
     */
    PartitionProgress(long committed, long reportsEnd, long retriesEnd) {
        this.committed = committed;
        this.next = committed;
        this.reportsEnd = reportsEnd;
        this.retriesEnd = retriesEnd;
    }

    /**
     * Records a report found for a job of this partition (written by an earlier owner, not yet committed).
     *
     * @param sourceOffset the job's offset
     * @param reportOffset its report's offset in the reports partition
     */
    void known(long sourceOffset, long reportOffset) {
        if (sourceOffset >= committed) {
            reported.merge(sourceOffset, reportOffset, Math::min);
        }
    }

    /**
     * Records a retry job found for a job of this partition (written by an earlier owner, not yet committed).
     *
     * @param sourceOffset the offset of the job it retries
     * @param retryOffset its offset in the retry partition
     */
    void knownRetry(long sourceOffset, long retryOffset) {
        if (sourceOffset >= committed) {
            retried.merge(sourceOffset, retryOffset, Math::min);
        }
    }

    /** @param offset a job offset taken for processing; offsets are taken in increasing order */
    void start(long offset) {
        if (offset < next) {
            throw new IllegalStateException("offset " + offset + " taken after " + (next - 1));
        }
        pending.add(offset);
        next = offset + 1;
    }

    /**
     * @param offset a job offset whose report the broker acknowledged
     * @param reportOffset the report's offset in the reports partition, or -1 when no new report was written (the
     *     job had one already, recorded with {@link #known})
     */
    void done(long offset, long reportOffset) {
        done(offset, reportOffset, -1);
    }

    /**
     * @param offset a job offset whose report the broker acknowledged
     * @param reportOffset the report's offset, or -1 when no new report was written
     * @param retryOffset the offset of the retry job written for it, or -1 when none was
     */
    void done(long offset, long reportOffset, long retryOffset) {
        if (retryOffset >= 0) {
            retried.merge(offset, retryOffset, Math::min);
            retriesEnd = Math.max(retriesEnd, retryOffset + 1);
        }
        if (!pending.remove(offset)) {
            throw new IllegalStateException("offset " + offset + " was not pending");
        }
        if (reportOffset >= 0) {
            reported.merge(offset, reportOffset, Math::min);
            reportsEnd = Math.max(reportsEnd, reportOffset + 1);
        }
    }

    /** @return how many offsets were taken and are not done */
    int inFlight() {
        return pending.size();
    }

    /** @return the offset a commit may name now (everything below has an acknowledged report), if it moved */
    OptionalLong committable() {
        long c = pending.isEmpty() ? next : pending.first();
        return c > committed ? OptionalLong.of(c) : OptionalLong.empty();
    }

    /**
     * @param offset the offset being committed (from {@link #committable()})
     * @return the reports-partition offset from which every report of a job at or after {@code offset} can be
     *     found: the earliest known such report, or the end of the reports seen (a later report lands after it)
     */
    long reportsFrom(long offset) {
        long min = reportsEnd;
        for (Map.Entry<Long, Long> e : reported.tailMap(offset, true).entrySet()) {
            min = Math.min(min, e.getValue());
        }
        return min;
    }

    /**
     * @param offset the offset being committed (from {@link #committable()})
     * @return the retry-partition offset from which every retry job of a job at or after {@code offset} can be
     *     found: the earliest known one, or the end of the retry jobs seen
     */
    long retriesFrom(long offset) {
        long min = retriesEnd;
        for (Map.Entry<Long, Long> e : retried.tailMap(offset, true).entrySet()) {
            min = Math.min(min, e.getValue());
        }
        return min;
    }

    /** @param offset the offset whose commit the broker confirmed: forgets what lies below it */
    void committed(long offset) {
        committed = Math.max(committed, offset);
        reported.headMap(committed, false).clear();
        retried.headMap(committed, false).clear();
    }

    /** @return the last committed offset */
    long committedOffset() {
        return committed;
    }

    /**
     * The commit metadata: {@code reports=<offset>;retries=<offset>}.
     *
     * @param reportsOffset from {@link #reportsFrom}
     * @param retriesOffset from {@link #retriesFrom}
     * @return the metadata string
     */
    static String metadata(long reportsOffset, long retriesOffset) {
        return "reports=" + reportsOffset + ";retries=" + retriesOffset;
    }

    /**
     * @param metadata a commit's metadata
     * @return the reports offset it names, or empty when it names none (then the whole reports partition is read)
     */
    static OptionalLong parseMetadata(String metadata) {
        return field(metadata, "reports");
    }

    /**
     * @param metadata a commit's metadata
     * @return the retry offset it names, or empty when it names none (then the whole retry partition is read)
     */
    static OptionalLong parseRetries(String metadata) {
        return field(metadata, "retries");
    }

    private static OptionalLong field(String metadata, String name) {
        if (metadata == null) {
            return OptionalLong.empty();
        }
        for (String part : metadata.split(";")) {
            if (part.startsWith(name + "=")) {
                try {
                    long v = Long.parseLong(part.substring(name.length() + 1));
                    return v >= 0 ? OptionalLong.of(v) : OptionalLong.empty();
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }
}
