package io.reactivesmtp.kafka;

import io.reactivesmtp.MailAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import reactor.core.Disposable;

/**
 * One partition a worker owns: its commit bookkeeping, what the reports topic said about it at assignment, its jobs
 * taken and not done, and why it is paused. Not thread-safe: the worker's poll thread owns it.
 */
final class OwnedPartition {

    final TopicPartition tp;
    final PartitionProgress progress;
    final ReportIndex index;
    final Map<Long, Job> jobs = new HashMap<>();
    /** Paused because {@link KafkaWorkerOptions#maxInFlightPerPartition()} jobs are taken and not done. */
    boolean backpressured;
    /** Paused until then: its next job is not due yet. */
    Instant dueAt;

    OwnedPartition(TopicPartition tp, PartitionProgress progress, ReportIndex index) {
        this.tp = tp;
        this.progress = progress;
        this.index = index;
    }

    /**
     * Takes a job: what the reports topic said about its record decides which recipients it still sends to.
     *
     * @param offset the job's offset
     * @param job the job
     * @return the job in flight
     */
    Job admit(long offset, MailJob job) {
        Set<String> accepted = index.accepted(job.id());
        List<String> already = new ArrayList<>();
        for (String r : job.recipients()) {
            if (accepted.contains(r)) {
                already.add(r);
            }
        }
        // A retry job written for this one before its worker died (its report never made it): not sent again.
        Job j = new Job(this, offset, job, already, index.retry(offset));
        jobs.put(offset, j);
        return j;
    }

    /**
     * Cancels the sends of every job in flight and forgets them: their results and reports are ignored from now on.
     *
     * @return how many were abandoned
     */
    int abandonAll() {
        int n = 0;
        for (Job j : jobs.values()) {
            j.abandoned = true;
            Disposable d = j.send;
            if (d != null) {
                d.dispose();
            }
            n++;
        }
        jobs.clear();
        return n;
    }

    /** One job taken from this partition and not done (its report not acknowledged). */
    static final class Job {
        final OwnedPartition partition;
        final long offset;
        final MailJob job;
        /** Recipients an earlier report of this job id recorded as accepted: not sent again. */
        final List<String> alreadyAccepted;
        /** The retry job an earlier owner wrote for this very record, if any: its recipients are not sent again. */
        final ReportIndex.RetryWritten handed;
        /** The send in progress, null when there is none. */
        Disposable send;
        boolean abandoned;

        Job(OwnedPartition partition, long offset, MailJob job, List<String> alreadyAccepted,
                ReportIndex.RetryWritten handed) {
            this.partition = partition;
            this.offset = offset;
            this.job = job;
            this.alreadyAccepted = alreadyAccepted;
            this.handed = handed;
        }

        /** @return the recipients to send to: neither accepted before nor handed to a retry job */
        List<MailAddress> toSend() {
            List<MailAddress> toSend = new ArrayList<>();
            for (String r : job.recipients()) {
                if (!alreadyAccepted.contains(r) && !handedOver(r)) {
                    toSend.add(MailAddress.of(r));
                }
            }
            return toSend;
        }

        /** @return whether an earlier attempt of this record handed the recipient to a retry job */
        boolean handedOver(String address) {
            return handed != null && handed.job().recipients().contains(address);
        }

        /** @return where this job's record was */
        JobReport.Source source() {
            return new JobReport.Source(partition.tp.topic(), partition.tp.partition(), offset);
        }
    }
}
