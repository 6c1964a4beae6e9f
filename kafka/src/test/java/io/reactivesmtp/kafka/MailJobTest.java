package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MailJobTest {

    private static final byte[] MESSAGE = "Subject: hi\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);

    private static MailJob parse(String json) throws InvalidJobException {
        return MailJob.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void roundTripsThroughItsRecordValue() throws Exception {
        MailJob job = MailJob.create("job-1", "news@example.com", List.of("a@example.org", "b@example.org"), MESSAGE, 2,
                Instant.ofEpochMilli(1_764_345_600_000L));
        MailJob back = MailJob.parse(job.toBytes());
        assertThat(back.id()).isEqualTo("job-1");
        assertThat(back.from()).isEqualTo("news@example.com");
        assertThat(back.recipients()).containsExactly("a@example.org", "b@example.org");
        assertThat(back.content()).isEqualTo(MESSAGE);
        assertThat(back.attempt()).isEqualTo(2);
        assertThat(back.notBefore()).contains(Instant.ofEpochMilli(1_764_345_600_000L));
        assertThat(new String(job.toBytes(), StandardCharsets.UTF_8)).startsWith("{\"v\":1,\"id\":\"job-1\"");
    }

    @Test
    void readsTheTextFormAndTheNullSender() throws Exception {
        MailJob job = parse("{\"v\":1,\"id\":\"j\",\"from\":\"\",\"recipients\":[\"x@example.org\"],"
                + "\"text\":\"Subject: é\\r\\n\\r\\nhi\\r\\n\",\"extra\":true}");
        assertThat(job.envelope().sender()).isEmpty();
        assertThat(new String(job.content(), StandardCharsets.UTF_8)).isEqualTo("Subject: é\r\n\r\nhi\r\n");
        assertThat(job.attempt()).isEqualTo(1);
        assertThat(job.notBefore()).isEmpty();
        assertThat(job.firstDomain()).isEqualTo("example.org");
    }

    @Test
    void retryKeepsIdSenderAndContent() {
        MailJob job = MailJob.create("j", "a@example.com", List.of("x@example.org", "y@example.org"), MESSAGE, 1, null);
        MailJob retry = job.retry(List.of("y@example.org"), Instant.ofEpochMilli(5),
                new JobReport.Source("jobs", 2, 40));
        assertThat(retry.id()).isEqualTo("j");
        assertThat(retry.parent()).contains(new JobReport.Source("jobs", 2, 40));
        assertThat(job.parent()).isEmpty();
        assertThat(assertDoesNotThrowParse(retry.toBytes()).parent()).contains(new JobReport.Source("jobs", 2, 40));
        assertThat(retry.attempt()).isEqualTo(2);
        assertThat(retry.recipients()).containsExactly("y@example.org");
        assertThat(retry.content()).isEqualTo(MESSAGE);
    }

    @Test
    void refusesBadJobsNamingWhatIsWrong() {
        String ok = "\"id\":\"j\",\"from\":\"a@example.com\",\"recipients\":[\"x@example.org\"],\"content\":\"aGk=\"";
        assertBad("not json", "job is not valid JSON: malformed JSON at character 0");
        assertBad("[1]", "job is not a JSON object");
        assertBad("{" + ok + "}", "job has no integer format version \"v\"");
        assertBad("{\"v\":2," + ok + "}", "job format version 2 is not supported (this worker reads 1)");
        assertBad("{\"v\":\"1\"," + ok + "}", "job has no integer format version \"v\"");
        assertBad("{\"v\":1,\"from\":\"a@example.com\",\"recipients\":[\"x@example.org\"],\"content\":\"aGk=\"}",
                "job field \"id\" is missing");
        assertBad("{\"v\":1,\"id\":\"j\",\"from\":\"a@example.com\",\"recipients\":[],\"content\":\"aGk=\"}",
                "job j: \"recipients\" must be a non-empty array of addresses");
        assertBad("{\"v\":1,\"id\":\"j\",\"from\":\"a@example.com\",\"recipients\":[\"x@example.org\"]}",
                "job j: exactly one of \"content\" (base64) and \"text\" is required");
        assertBad("{\"v\":1,\"id\":\"j\",\"from\":\"a@example.com\",\"recipients\":[\"x@example.org\"],\"content\":\"%%\"}",
                "job j: \"content\" is not valid base64");
        assertBad("{\"v\":1,\"id\":\"j\",\"from\":\"a@example.com\",\"recipients\":[\"no-at-sign\"],\"text\":\"x\"}",
                "job j: invalid mail address \"no-at-sign\"");
        assertBad("{\"v\":1,\"id\":\"j\",\"from\":\"a@example.com\",\"recipients\":[\"x@example.org\\r\\nRSET\"],\"text\":\"x\"}",
                "job j: invalid mail address");
        assertBad("{\"v\":1," + ok + ",\"attempt\":0}", "job j: \"attempt\" must be a positive integer: 0");
        assertBad("{\"v\":1," + ok + ",\"notBefore\":\"soon\"}", "job j: \"notBefore\" must be epoch milliseconds");
        assertBad("{\"v\":1," + ok + ",\"parent\":{\"topic\":\"t\"}}", "job j: \"parent\" must be");
        assertThatThrownBy(() -> MailJob.parse(null)).isInstanceOf(InvalidJobException.class)
                .hasMessageContaining("no value");
    }

    private static MailJob assertDoesNotThrowParse(byte[] value) {
        try {
            return MailJob.parse(value);
        } catch (InvalidJobException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertBad(String json, String message) {
        assertThatThrownBy(() -> parse(json)).as(json).isInstanceOf(InvalidJobException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void keysByDomainByDefault() {
        MailJob job = MailJob.create("j", "a@example.com", List.of("x@Example.ORG"), MESSAGE, 1, null);
        assertThat(new String(JobKeys.DOMAIN.key(job), StandardCharsets.UTF_8)).isEqualTo("example.org");
        assertThat(new String(JobKeys.JOB_ID.key(job), StandardCharsets.UTF_8)).isEqualTo("j");
        assertThat(JobKeys.NONE.key(job)).isNull();
        assertThat(JobKeys.named("job-id")).isSameAs(JobKeys.JOB_ID);
        assertThatThrownBy(() -> JobKeys.named("tenant")).hasMessage("unknown key strategy \"tenant\": domain, job-id or none");
    }
}
