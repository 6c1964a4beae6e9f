package io.reactivesmtp.kafka;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one record a worker writes to the reports topic for each job record it consumed, in JSON ({@code FORMAT.md}):
 *
 * <pre>{@code
 * {"v":1,"jobId":"6f1c…","source":{"topic":"mail.jobs","partition":3,"offset":42},"attempt":1,
 *  "outcome":"PARTIAL","recipients":[
 *    {"address":"a@example.org","status":"ACCEPTED","code":250,"enhancedStatus":"2.0.0","text":"ok"},
 *    {"address":"b@example.org","status":"RETRY_SCHEDULED","code":451,"enhancedStatus":"4.2.1","text":"later"}],
 *  "retry":{"topic":"mail.jobs.retry","partition":3,"offset":17,"attempt":2,"notBefore":1764345630000},
 *  "error":null,"worker":"host-1234","at":1764345600000}
 * }</pre>
 *
 * <p>The report goes to the reports-topic partition with the number of its source partition, which is what lets a
 * new owner of that partition find the reports of jobs not yet committed ({@code FORMAT.md}, "Commits").
 *
 * @param jobId the job's id, null when the record was unreadable
 * @param source where the job record was
 * @param attempt the job's attempt (1 when unreadable)
 * @param outcome the job's outcome
 * @param recipients one entry per recipient of the job, in its order
 * @param retry the retry job written for the transient failures, if any
 * @param error why there is no server verdict (or why the job is invalid), else null
 * @param worker the worker that wrote it
 * @param at when, epoch milliseconds
 */
@JsonPropertyOrder({"v", "jobId", "source", "attempt", "outcome", "recipients", "retry", "error", "worker", "at"})
public record JobReport(String jobId, Source source, int attempt, Outcome outcome, List<Recipient> recipients,
        Retry retry, String error, String worker, long at) {

    /** The format version written and read. */
    public static final int VERSION = 1;

    /** What became of a job record. */
    public enum Outcome {
        /** Every recipient accepted. */
        DELIVERED,
        /** Some accepted, the others refused for good (or left without a verdict after the last attempt). */
        PARTIAL,
        /** No recipient accepted; every one has a final status. */
        REJECTED,
        /** Some recipients failed transiently: a retry job for them was written (see {@code retry}). */
        RETRYING,
        /** No verdict for some recipients after the last attempt (connection, TLS, timeout, ...), none accepted. */
        FAILED,
        /** The job record could not be read; nothing was sent. */
        INVALID
    }

    /** The status of one recipient in a report. */
    public enum Status {
        /** The server accepted the message for this recipient (final 250). */
        ACCEPTED,
        /** Refused for good (5xx). */
        PERMANENT_FAILURE,
        /** Failed transiently on the last attempt: no retry left. */
        TRANSIENT_FAILURE,
        /** No verdict on the last attempt (connection lost, timeout, ...). */
        UNDETERMINED,
        /** The message was sent but no reply to its final dot came: it may have been delivered. Never retried. */
        UNKNOWN,
        /** Failed transiently (or no verdict, retryable): handed to the retry job of this report. */
        RETRY_SCHEDULED,
        /** Not sent again: an earlier report of this job already recorded its acceptance (a replay). */
        ALREADY_ACCEPTED
    }

    /**
     * Where a job record was read.
     *
     * @param topic its topic
     * @param partition its partition
     * @param offset its offset
     */
    public record Source(@JsonProperty(required = true) String topic, @JsonProperty(required = true) int partition,
            @JsonProperty(required = true) long offset) {
        /** Validates. */
        public Source {
            Objects.requireNonNull(topic, "topic");
        }
    }

    /**
     * One recipient's line in a report.
     *
     * @param address the recipient
     * @param status its status
     * @param code the deciding reply code, 0 when none
     * @param enhancedStatus the enhanced status code, or null
     * @param text the reply text (or why there is none), or null
     */
    public record Recipient(@JsonProperty(required = true) String address,
            @JsonProperty(required = true) Status status, @JsonProperty(required = true) int code,
            String enhancedStatus, String text) {
        /** Validates. */
        public Recipient {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(status, "status");
        }
    }

    /**
     * The retry job written for the transient failures of this one.
     *
     * @param topic the retry topic
     * @param partition its partition
     * @param offset its offset
     * @param attempt the retry's attempt number
     * @param notBefore when it may be sent, epoch milliseconds
     */
    public record Retry(@JsonProperty(required = true) String topic, @JsonProperty(required = true) int partition,
            @JsonProperty(required = true) long offset, @JsonProperty(required = true) int attempt,
            @JsonProperty(required = true) long notBefore) {
    }

    /** Validates and copies. */
    public JobReport {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(outcome, "outcome");
        recipients = List.copyOf(recipients);
    }

    /** @return the retry job, if one was written */
    @JsonIgnore
    public Optional<Retry> retryJob() {
        return Optional.ofNullable(retry);
    }

    /** @return the record value: JSON in UTF-8 */
    public byte[] toBytes() {
        try {
            return RecordJson.MAPPER.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the report of " + source + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** @return the format version, written first */
    @JsonProperty("v")
    private int version() {
        return VERSION;
    }

    /**
     * Reads a report record: white space and unknown fields are tolerated, anything else is checked.
     *
     * @param value the record value
     * @return the report
     * @throws IllegalArgumentException naming what is wrong
     */
    public static JobReport parse(byte[] value) {
        try {
            return RecordJson.MAPPER.readValue(Objects.requireNonNull(value, "report value"), JobReport.class);
        } catch (ValueInstantiationException e) {
            // The records' own checks: their message names the field.
            throw new IllegalArgumentException(RecordJson.problem(e), e);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("report is not valid: " + RecordJson.problem(e), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("report is not valid: " + e, e);
        }
    }

    /** Jackson's way in: the version is checked before anything else, the fields then by the constructors. */
    @JsonCreator
    private static JobReport read(@JsonProperty("v") Integer v, @JsonProperty("jobId") String jobId,
            @JsonProperty("source") Source source, @JsonProperty("attempt") Integer attempt,
            @JsonProperty("outcome") Outcome outcome, @JsonProperty("recipients") List<Recipient> recipients,
            @JsonProperty("retry") Retry retry, @JsonProperty("error") String error,
            @JsonProperty("worker") String worker, @JsonProperty("at") Long at) {
        if (v == null || v != VERSION) {
            throw new IllegalArgumentException("report format version " + v + " is not supported");
        }
        return new JobReport(jobId, required("source", source), required("attempt", attempt),
                required("outcome", outcome), required("recipients", recipients), retry, error, worker,
                required("at", at));
    }

    private static <T> T required(String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException("report field \"" + field + "\" is missing");
        }
        return value;
    }
}
