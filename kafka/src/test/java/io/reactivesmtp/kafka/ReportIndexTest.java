package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportIndexTest {

    private static JobReport report(String id, String topic, int partition, long offset, JobReport.Status... statuses) {
        List<JobReport.Recipient> rs = new java.util.ArrayList<>();
        for (int i = 0; i < statuses.length; i++) {
            rs.add(new JobReport.Recipient("r" + i + "@example.org", statuses[i], 250, null, "t"));
        }
        return new JobReport(id, new JobReport.Source(topic, partition, offset), 1, JobReport.Outcome.PARTIAL, rs,
                null, null, "w", 0L);
    }

    @Test
    void indexesReportsOfItsPartitionPastTheCommit() {
        ReportIndex index = new ReportIndex("jobs", 2, 100);
        index.add(report("a", "jobs", 2, 99, JobReport.Status.ACCEPTED), 10);    // committed already
        index.add(report("b", "jobs", 2, 100, JobReport.Status.ACCEPTED), 11);
        index.add(report("c", "jobs", 2, 105, JobReport.Status.PERMANENT_FAILURE), 12);
        index.add(report("c", "jobs", 2, 105, JobReport.Status.PERMANENT_FAILURE), 15); // a duplicate report
        index.add(report("d", "jobs.retry", 2, 100, JobReport.Status.ACCEPTED), 13); // another source
        index.add(report("e", "jobs", 3, 101, JobReport.Status.ACCEPTED), 14);       // another partition
        assertThat(index.reportOffset(99)).isEqualTo(-1);
        assertThat(index.reportOffset(100)).isEqualTo(11);
        assertThat(index.reportOffset(105)).isEqualTo(12);
        assertThat(index.reportOffset(101)).isEqualTo(-1);
        assertThat(index.size()).isEqualTo(2);
        index.forgetBelow(101);
        assertThat(index.reportOffset(100)).isEqualTo(-1);
    }

    @Test
    void remembersAcceptedRecipientsPerJobAcrossAttempts() {
        ReportIndex index = new ReportIndex("jobs.retry", 0, 0);
        index.add(report("j", "jobs", 0, 7, JobReport.Status.ACCEPTED, JobReport.Status.RETRY_SCHEDULED,
                JobReport.Status.PERMANENT_FAILURE), 1);
        index.add(report("j", "jobs.retry", 0, 3, JobReport.Status.ALREADY_ACCEPTED, JobReport.Status.UNKNOWN), 2);
        assertThat(index.accepted("j")).containsExactly("r0@example.org");
        assertThat(index.accepted("other")).isEmpty();
    }

    @Test
    void remembersRetryJobsWrittenForItsJobsPastTheCommit() {
        ReportIndex index = new ReportIndex("jobs", 1, 10);
        MailJob job = MailJob.create("j", "a@example.com", List.of("x@example.org", "y@example.org"),
                new byte[] {'x'}, 1, null);
        index.addRetry(job.retry(List.of("y@example.org"), java.time.Instant.EPOCH,
                new JobReport.Source("jobs", 1, 12)), 30);
        index.addRetry(job.retry(List.of("y@example.org"), java.time.Instant.EPOCH,
                new JobReport.Source("jobs", 1, 9)), 31);                 // committed already
        index.addRetry(job.retry(List.of("y@example.org"), java.time.Instant.EPOCH,
                new JobReport.Source("jobs.retry", 1, 12)), 32);          // a retry of a retry
        index.addRetry(job, 33);                                          // no parent: not a retry job
        assertThat(index.retry(12).offset()).isEqualTo(30);
        assertThat(index.retry(12).job().recipients()).containsExactly("y@example.org");
        assertThat(index.retry(9)).isNull();
        assertThat(index.retries()).hasSize(1);
        index.forgetBelow(13);
        assertThat(index.retry(12)).isNull();
    }
}
