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
        assertBad("not json", "job is not valid JSON: byte 0: Unrecognized token 'not'");
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

    /** Written by the hand-made JSON writer this module had before Jackson: the records of a running group. */
    private static final String OLD_JOB = "{\"v\":1,\"id\":\"job-1\",\"from\":\"news@example.com\","
            + "\"recipients\":[\"a@example.org\",\"b@example.org\"],\"content\":\"U3ViamVjdDogaGkNCg0KYm9keQ0K\","
            + "\"attempt\":2,\"notBefore\":1764345600000}";
    private static final String OLD_RETRY_JOB = "{\"v\":1,\"id\":\"job-1\",\"from\":\"news@example.com\","
            + "\"recipients\":[\"b@example.org\"],\"content\":\"U3ViamVjdDogaGkNCg0KYm9keQ0K\",\"attempt\":3,"
            + "\"notBefore\":1764345630000,\"parent\":{\"topic\":\"mail.jobs\",\"partition\":3,\"offset\":42}}";

    @Test
    void readsAndWritesTheRecordsOfTheFormerWriterByteForByte() throws Exception {
        MailJob job = parse(OLD_JOB);
        assertThat(job.recipients()).containsExactly("a@example.org", "b@example.org");
        assertThat(job.content()).isEqualTo(MESSAGE);
        assertThat(job.notBefore()).contains(Instant.ofEpochMilli(1_764_345_600_000L));
        assertThat(new String(job.toBytes(), StandardCharsets.UTF_8)).isEqualTo(OLD_JOB);
        MailJob retry = parse(OLD_RETRY_JOB);
        assertThat(retry.attempt()).isEqualTo(3);
        assertThat(retry.parent()).contains(new JobReport.Source("mail.jobs", 3, 42));
        assertThat(new String(retry.toBytes(), StandardCharsets.UTF_8)).isEqualTo(OLD_RETRY_JOB);
        assertThat(new String(job.retry(List.of("b@example.org"), Instant.ofEpochMilli(1_764_345_630_000L),
                new JobReport.Source("mail.jobs", 3, 42)).toBytes(), StandardCharsets.UTF_8)).isEqualTo(OLD_RETRY_JOB);
    }

    @Test
    void toleratesWhiteSpaceAndUnknownFields() throws Exception {
        MailJob job = parse(" {\n\t\"tenant\" : {\"n\": [1, 2.5, {\"deep\": null}]},\r\n \"v\" : 1 , \"id\":\"j\", "
                + "\"from\":\"a@example.com\",\"recipients\" : [ \"x@example.org\" ] ,\"text\":\"hi\",\"notBefore\":null,"
                + "\"parent\":null,\"flag\":true}\n");
        assertThat(job.id()).isEqualTo("j");
        assertThat(job.notBefore()).isEmpty();
        assertThat(job.parent()).isEmpty();
    }

    @Test
    void refusesTextThatIsNotStrictJson() {
        String ok = "\"id\":\"j\",\"from\":\"a@example.com\",\"recipients\":[\"x@example.org\"],\"content\":\"aGk=\"";
        for (String bad : List.of("", "{", "{\"v\":1,}", "[1,]", "{\"v\" 1}", "{\"v\":01}", "{\"v\":1.}", "-", "\"abc",
                "tru", "{a:1}", "[1 2]", "nul", "{\"v\":1," + ok + "} x", "{\"v\":1," + ok + "}{}",
                "{\"v\":1,\"v\":1," + ok + "}", "{\"v\":1," + ok + ",\"text\":\"a\u0001b\"}",
                "{\"v\":1," + ok + ",\"x\":" + "[".repeat(40) + "]".repeat(40) + "}")) {
            assertBad(bad, "job is not valid JSON: ");
        }
        assertThatThrownBy(() -> MailJob.parse(new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'}))
                .isInstanceOf(InvalidJobException.class).hasMessageStartingWith("job is not valid JSON: ");
        assertBad("{\"v\":1,\"v\":2," + ok + "}", "job is not valid JSON: byte 10: Duplicate field 'v'");
    }

    @Test
    void refusesValuesOfTheWrongTypeOrNullNamingTheField() {
        String to = "\"recipients\":[\"x@example.org\"]";
        String head = "{\"v\":1,\"id\":\"j\",\"from\":\"a@example.com\",";
        assertBad("{\"v\":1.0,\"id\":\"j\"}", "job has no integer format version \"v\"");
        assertBad("{\"v\":1,\"id\":7}", "job field \"id\" is not a string");
        assertBad("{\"v\":1,\"id\":null}", "job field \"id\" is missing");
        assertBad("{\"v\":1,\"id\":\"j\",\"from\":1," + to + ",\"text\":\"x\"}", "job j: \"from\" must be a string");
        assertBad("{\"v\":1,\"id\":\"j\",\"from\":null," + to + ",\"text\":\"x\"}", "job j: \"from\" must be a string");
        assertBad("{\"v\":1,\"id\":\"j\"," + to + ",\"text\":\"x\"}", "job j: \"from\" is missing");
        assertBad(head + "\"recipients\":\"x@example.org\",\"text\":\"x\"}",
                "job j: \"recipients\" must be a non-empty array of addresses");
        assertBad(head + "\"recipients\":[\"x@example.org\",null],\"text\":\"x\"}",
                "job j: \"recipients\" must be a non-empty array of addresses");
        assertBad(head + "\"recipients\":[\"x@example.org\",3],\"text\":\"x\"}",
                "job j: \"recipients\" must be a non-empty array of addresses");
        assertBad(head + to + ",\"content\":null,\"text\":\"x\"}", "job j: \"content\" must be a base64 string");
        assertBad(head + to + ",\"content\":\"aGk=\",\"text\":\"x\"}", "job j: exactly one of \"content\"");
        assertBad(head + to + ",\"text\":\"x\",\"attempt\":\"2\"}", "job j: \"attempt\" must be a positive integer");
        assertBad(head + to + ",\"text\":\"x\",\"attempt\":null}", "job j: \"attempt\" must be a positive integer");
        assertBad(head + to + ",\"text\":\"x\",\"attempt\":1.5}", "job j: \"attempt\" must be a positive integer");
        assertBad(head + to + ",\"text\":\"x\",\"attempt\":3000000000}",
                "job j: \"attempt\" must be a positive integer: 3000000000");
        assertBad(head + to + ",\"text\":\"x\",\"notBefore\":1.5}", "job j: \"notBefore\" must be epoch milliseconds");
        assertBad(head + to + ",\"text\":\"x\",\"notBefore\":99999999999999999999}",
                "job j: \"notBefore\" must be epoch milliseconds");
        assertBad(head + to + ",\"text\":\"x\",\"parent\":{\"topic\":\"t\",\"partition\":\"1\",\"offset\":2}}",
                "job j: \"parent\" must be");
        assertBad(head + to + ",\"text\":\"x\",\"parent\":{\"topic\":null,\"partition\":1,\"offset\":2}}",
                "job j: \"parent\" must be");
    }

    @Test
    void refusesLoneSurrogatesInTheFieldsItReads() {
        String head = "{\"v\":1,\"id\":\"j\",\"from\":\"a@example.com\",\"recipients\":[\"x@example.org\"],";
        assertBad(head + "\"text\":\"a\\ud800b\"}", "job j: \"text\" holds a lone surrogate at character 1");
        assertBad(head + "\"text\":\"\\udc00\"}", "job j: \"text\" holds a lone surrogate at character 0");
        assertBad("{\"v\":1,\"id\":\"j\\ud800\",\"from\":\"\",\"recipients\":[\"x@example.org\"],\"text\":\"x\"}",
                "job j\ud800: \"id\" holds a lone surrogate");
        assertThat(assertDoesNotThrowParse((head + "\"text\":\"\\ud83d\\ude00\"}").getBytes(StandardCharsets.UTF_8))
                .content()).isEqualTo("\ud83d\ude00".getBytes(StandardCharsets.UTF_8));
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
