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

    /** Written by the hand-made JSON writer this module had before Jackson: reports already on the topic. */
    private static final String OLD_REPORT = "{\"v\":1,\"jobId\":\"j\",\"source\":{\"topic\":\"jobs\",\"partition\":3,"
            + "\"offset\":42},\"attempt\":1,\"outcome\":\"RETRYING\",\"recipients\":[{\"address\":\"a@example.org\","
            + "\"status\":\"ACCEPTED\",\"code\":250,\"enhancedStatus\":\"2.0.0\",\"text\":\"ok \\\"q\\\" \u00e9\\t\"},"
            + "{\"address\":\"b@example.org\",\"status\":\"RETRY_SCHEDULED\",\"code\":451,\"enhancedStatus\":null,"
            + "\"text\":\"later\"}],\"retry\":{\"topic\":\"jobs.retry\",\"partition\":3,\"offset\":7,\"attempt\":2,"
            + "\"notBefore\":1000},\"error\":null,\"worker\":\"w1\",\"at\":99}";
    private static final String OLD_INVALID_REPORT = "{\"v\":1,\"jobId\":null,\"source\":{\"topic\":\"jobs\","
            + "\"partition\":0,\"offset\":1},\"attempt\":1,\"outcome\":\"INVALID\",\"recipients\":[],\"retry\":null,"
            + "\"error\":\"job is not a JSON object\",\"worker\":\"w1\",\"at\":5}";

    private static JobReport parse(String json) {
        return JobReport.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAndWritesTheReportsOfTheFormerWriterByteForByte() {
        JobReport report = new JobReport("j", new JobReport.Source("jobs", 3, 42), 1, JobReport.Outcome.RETRYING,
                List.of(new JobReport.Recipient("a@example.org", JobReport.Status.ACCEPTED, 250, "2.0.0",
                                "ok \"q\" \u00e9\t"),
                        new JobReport.Recipient("b@example.org", JobReport.Status.RETRY_SCHEDULED, 451, null, "later")),
                new JobReport.Retry("jobs.retry", 3, 7, 2, 1000L), null, "w1", 99L);
        assertThat(parse(OLD_REPORT)).isEqualTo(report);
        assertThat(new String(report.toBytes(), StandardCharsets.UTF_8)).isEqualTo(OLD_REPORT);
        JobReport invalid = parse(OLD_INVALID_REPORT);
        assertThat(invalid.jobId()).isNull();
        assertThat(invalid.retryJob()).isEmpty();
        assertThat(new String(invalid.toBytes(), StandardCharsets.UTF_8)).isEqualTo(OLD_INVALID_REPORT);
    }

    @Test
    void toleratesWhiteSpaceUnknownFieldsAndAbsentOptionalOnes() {
        JobReport report = parse("\n{ \"v\" : 1,\r\n\t\"next\": {\"x\": [1, {}]}, \"source\": {\"topic\": \"jobs\", "
                + "\"partition\": 0, \"offset\": 9, \"leader\": 2}, \"attempt\": 2, \"outcome\": \"DELIVERED\", "
                + "\"recipients\": [ {\"address\": \"a@example.org\", \"status\": \"ACCEPTED\", \"code\": 250} ], "
                + "\"at\": 7 }\n");
        assertThat(report.source()).isEqualTo(new JobReport.Source("jobs", 0, 9));
        assertThat(report.recipients()).containsExactly(
                new JobReport.Recipient("a@example.org", JobReport.Status.ACCEPTED, 250, null, null));
        assertThat(report.jobId()).isNull();
        assertThat(report.worker()).isNull();
    }

    @Test
    void refusesBrokenReportsNamingTheField() {
        String src = "\"source\":{\"topic\":\"jobs\",\"partition\":0,\"offset\":1}";
        String tail = ",\"attempt\":1,\"outcome\":\"INVALID\",\"recipients\":[],\"at\":5}";
        assertBadReport("{\"v\":1," + src + tail.substring(0, tail.length() - 1), "report is not valid: byte ");
        assertBadReport("{\"v\":1," + src + tail + " {}", "report is not valid: byte ");
        assertBadReport("{\"v\":1,\"v\":1," + src + tail, "report is not valid: byte ");
        assertBadReport("{\"v\":1" + tail, "report field \"source\" is missing");
        assertBadReport("{\"v\":1," + src + ",\"outcome\":\"INVALID\",\"recipients\":[],\"at\":5}",
                "report field \"attempt\" is missing");
        assertBadReport("{\"v\":1," + src + tail.replace(",\"at\":5", ""), "report field \"at\" is missing");
        assertBadReport("{\"v\":1,\"source\":{\"topic\":\"jobs\",\"offset\":1}" + tail,
                "report is not valid: field \"source.partition\": Missing required creator property 'partition'");
        assertBadReport("{\"v\":1," + src + tail.replace("INVALID", "LOST"), "report is not valid: field \"outcome\": ");
        assertBadReport("{\"v\":1," + src + tail.replace("\"INVALID\"", "5"), "report is not valid: field \"outcome\": ");
        assertBadReport("{\"v\":1," + src + tail.replace("5}", "\"5\"}"), "report is not valid: field \"at\": ");
        assertBadReport("{\"v\":1," + src + tail.replace("[]", "[{\"address\":\"a@x.org\",\"status\":\"ACCEPTED\"}]"),
                "report is not valid: field \"recipients[0].code\": Missing required creator property 'code'");
        assertBadReport("{\"v\":1," + src + tail.replace("[]", "[{\"address\":\"a@x.org\",\"status\":\"ACCEPTED\","
                + "\"code\":250,\"text\":7}]"), "report is not valid: field \"recipients[0].text\": ");
        assertThatThrownBy(() -> JobReport.parse(null)).isInstanceOf(NullPointerException.class);
    }

    private static void assertBadReport(String json, String message) {
        assertThatThrownBy(() -> parse(json)).as(json).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void outcomeFollowsTheRecipients() {
        JobReport.Recipient acc = new JobReport.Recipient("a@x.org", JobReport.Status.ACCEPTED, 250, null, "ok");
        JobReport.Recipient old = new JobReport.Recipient("b@x.org", JobReport.Status.ALREADY_ACCEPTED, 0, null, "");
        JobReport.Recipient rej = new JobReport.Recipient("c@x.org", JobReport.Status.PERMANENT_FAILURE, 550, null, "");
        JobReport.Recipient ret = new JobReport.Recipient("d@x.org", JobReport.Status.RETRY_SCHEDULED, 451, null, "");
        JobReport.Recipient unk = new JobReport.Recipient("e@x.org", JobReport.Status.UNKNOWN, 0, null, "");
        assertThat(ReportWriter.outcome(List.of(acc, old))).isEqualTo(JobReport.Outcome.DELIVERED);
        assertThat(ReportWriter.outcome(List.of(acc, rej))).isEqualTo(JobReport.Outcome.PARTIAL);
        assertThat(ReportWriter.outcome(List.of(acc, ret))).isEqualTo(JobReport.Outcome.RETRYING);
        assertThat(ReportWriter.outcome(List.of(rej))).isEqualTo(JobReport.Outcome.REJECTED);
        assertThat(ReportWriter.outcome(List.of(rej, unk))).isEqualTo(JobReport.Outcome.FAILED);
    }
}
