package io.reactivesmtp.kafka;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the reports topic says about the jobs of one source partition that were not committed yet: built when the
 * partition is assigned, from its reports partition, starting at the offset named by the commit's metadata.
 *
 * <p>A job with a report was finished (its report is written last, after any retry job): a replay of it is
 * committed without sending. Recipients recorded {@code ACCEPTED} under a job id are not sent again by any later
 * attempt of that job read from this partition. A job without a report but with a retry job (read from the retry
 * partition; the worker died between the two acknowledgements) does not send again to the recipients handed to
 * that retry job. Not thread-safe: the worker's poll thread owns it.
 */
final class ReportIndex {

    private final String topic;
    private final int partition;
    private final long committed;
    private final Map<Long, Long> reportOffsets = new HashMap<>();
    private final Map<String, Set<String>> acceptedByJob = new HashMap<>();
    private final Map<Long, RetryWritten> retries = new HashMap<>();

    /**
     * A retry job an earlier owner wrote for a job of this partition.
     *
     * @param job the retry job
     * @param offset its offset in the retry partition
     */
    record RetryWritten(MailJob job, long offset) {
    }

    /**
     * @param topic the source topic
     * @param partition the source partition
     * @param committed the committed offset: reports of jobs below it are ignored
     */
    ReportIndex(String topic, int partition, long committed) {
        this.topic = topic;
        this.partition = partition;
        this.committed = committed;
    }

    /**
     * Adds one report read from the reports partition.
     *
     * @param report the report
     * @param reportOffset its offset in the reports partition
     */
    void add(JobReport report, long reportOffset) {
        JobReport.Source s = report.source();
        if (report.jobId() != null) {
            for (JobReport.Recipient r : report.recipients()) {
                if (r.status() == JobReport.Status.ACCEPTED || r.status() == JobReport.Status.ALREADY_ACCEPTED) {
                    acceptedByJob.computeIfAbsent(report.jobId(), k -> new HashSet<>()).add(r.address());
                }
            }
        }
        if (s.topic().equals(topic) && s.partition() == partition && s.offset() >= committed) {
            reportOffsets.merge(s.offset(), reportOffset, Math::min);
        }
    }

    /**
     * Adds one retry job read from the retry partition of this partition's number.
     *
     * @param job the retry job
     * @param retryOffset its offset in the retry partition
     */
    void addRetry(MailJob job, long retryOffset) {
        JobReport.Source parent = job.parent().orElse(null);
        if (parent != null && parent.topic().equals(topic) && parent.partition() == partition
                && parent.offset() >= committed) {
            retries.merge(parent.offset(), new RetryWritten(job, retryOffset),
                    (a, b) -> a.offset() <= b.offset() ? a : b);
        }
    }

    /**
     * @param offset a job offset of this partition
     * @return the retry job an earlier owner wrote for it (its report was never acknowledged), if any
     */
    RetryWritten retry(long offset) {
        return retries.get(offset);
    }

    /** @return source offset → the retry jobs written for it, for jobs of this partition past the commit */
    Map<Long, RetryWritten> retries() {
        return retries;
    }

    /**
     * @param offset a job offset of this partition
     * @return the reports offset of its earliest report, or -1 when it has none
     */
    long reportOffset(long offset) {
        return reportOffsets.getOrDefault(offset, -1L);
    }

    /**
     * @param jobId a job id
     * @return the recipients whose acceptance a report of that job recorded
     */
    Set<String> accepted(String jobId) {
        return acceptedByJob.getOrDefault(jobId, Set.of());
    }

    /** @return source offset → reports offset, for jobs of this partition that have a report */
    Map<Long, Long> reportOffsets() {
        return reportOffsets;
    }

    /** @return how many jobs of this partition have a report */
    int size() {
        return reportOffsets.size();
    }

    /** @param offset forgets the reports of jobs below this (committed) offset */
    void forgetBelow(long offset) {
        reportOffsets.keySet().removeIf(o -> o < offset);
        retries.keySet().removeIf(o -> o < offset);
    }
}
