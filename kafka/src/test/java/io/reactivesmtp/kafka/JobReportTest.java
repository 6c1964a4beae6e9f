package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobReportTest {

    @Test
    void roundTrips() {
        JobReport report = new JobReport("j", new JobReport.Source("jobs", 3, 42), 1, JobReport.Outcome.RETRYING,
                List.of(new JobReport.Recipient("a@example.org", JobReport.Status.ACCEPTED, 250, "2.0.0", "ok"),
                        new JobReport.Recipient("b@example.org", JobReport.Status.RETRY_SCHEDULED, 451, null, "later")),
                new JobReport.Retry("jobs.retry", 3, 7, 2, 1000L), null, "w1", 99L);
        assertThat(JobReport.parse(report.toBytes())).isEqualTo(report);
        assertThat(new String(report.toBytes(), StandardCharsets.UTF_8)).startsWith(
                "{\"v\":1,\"jobId\":\"j\",\"source\":{\"topic\":\"jobs\",\"partition\":3,\"offset\":42},\"attempt\":1,"
                + "\"outcome\":\"RETRYING\",\"recipients\":[{\"address\":\"a@example.org\",\"status\":\"ACCEPTED\","
                + "\"code\":250,\"enhancedStatus\":\"2.0.0\",\"text\":\"ok\"}");
    }

    @Test
    void invalidReportHasNoJobId() {
        JobReport report = new JobReport(null, new JobReport.Source("jobs", 0, 1), 1, JobReport.Outcome.INVALID,
                List.of(), null, "job is not a JSON object", "w1", 5L);
        assertThat(JobReport.parse(report.toBytes())).isEqualTo(report);
    }

    @Test
    void refusesOtherVersions() {
        assertThatThrownBy(() -> JobReport.parse("{\"v\":9}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("report format version 9 is not supported");
    }

    @Test
    void outcomeFollowsTheRecipients() {
        JobReport.Recipient acc = new JobReport.Recipient("a@x.org", JobReport.Status.ACCEPTED, 250, null, "ok");
        JobReport.Recipient old = new JobReport.Recipient("b@x.org", JobReport.Status.ALREADY_ACCEPTED, 0, null, "");
        JobReport.Recipient rej = new JobReport.Recipient("c@x.org", JobReport.Status.PERMANENT_FAILURE, 550, null, "");
        JobReport.Recipient ret = new JobReport.Recipient("d@x.org", JobReport.Status.RETRY_SCHEDULED, 451, null, "");
        JobReport.Recipient unk = new JobReport.Recipient("e@x.org", JobReport.Status.UNKNOWN, 0, null, "");
        assertThat(KafkaSmtpWorker.outcome(List.of(acc, old))).isEqualTo(JobReport.Outcome.DELIVERED);
        assertThat(KafkaSmtpWorker.outcome(List.of(acc, rej))).isEqualTo(JobReport.Outcome.PARTIAL);
        assertThat(KafkaSmtpWorker.outcome(List.of(acc, ret))).isEqualTo(JobReport.Outcome.RETRYING);
        assertThat(KafkaSmtpWorker.outcome(List.of(rej))).isEqualTo(JobReport.Outcome.REJECTED);
        assertThat(KafkaSmtpWorker.outcome(List.of(rej, unk))).isEqualTo(JobReport.Outcome.FAILED);
    }
}
