package io.reactivesmtp.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    public record Source(String topic, int partition, long offset) {
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
    public record Recipient(String address, Status status, int code, String enhancedStatus, String text) {
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
    public record Retry(String topic, int partition, long offset, int attempt, long notBefore) {
    }

    /** Validates and copies. */
    public JobReport {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(outcome, "outcome");
        recipients = List.copyOf(recipients);
    }

    /** @return the retry job, if one was written */
    public Optional<Retry> retryJob() {
        return Optional.ofNullable(retry);
    }

    /** @return the record value: JSON in UTF-8 */
    public byte[] toBytes() {
        Map<String, Object> m = JsonValue.object();
        m.put("v", VERSION);
        m.put("jobId", jobId);
        Map<String, Object> src = JsonValue.object();
        src.put("topic", source.topic());
        src.put("partition", source.partition());
        src.put("offset", source.offset());
        m.put("source", src);
        m.put("attempt", attempt);
        m.put("outcome", outcome.name());
        List<Object> rs = new ArrayList<>();
        for (Recipient r : recipients) {
            Map<String, Object> o = JsonValue.object();
            o.put("address", r.address());
            o.put("status", r.status().name());
            o.put("code", r.code());
            o.put("enhancedStatus", r.enhancedStatus());
            o.put("text", r.text());
            rs.add(o);
        }
        m.put("recipients", rs);
        if (retry == null) {
            m.put("retry", null);
        } else {
            Map<String, Object> o = JsonValue.object();
            o.put("topic", retry.topic());
            o.put("partition", retry.partition());
            o.put("offset", retry.offset());
            o.put("attempt", retry.attempt());
            o.put("notBefore", retry.notBefore());
            m.put("retry", o);
        }
        m.put("error", error);
        m.put("worker", worker);
        m.put("at", at);
        return JsonValue.write(m).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a report record.
     *
     * @param value the record value
     * @return the report
     * @throws IllegalArgumentException naming what is wrong
     */
    public static JobReport parse(byte[] value) {
        Object root = JsonValue.parse(new String(Objects.requireNonNull(value, "report value"), StandardCharsets.UTF_8));
        if (!(root instanceof Map)) {
            throw new IllegalArgumentException("report is not a JSON object");
        }
        Map<?, ?> m = (Map<?, ?>) root;
        if (!Long.valueOf(VERSION).equals(m.get("v"))) {
            throw new IllegalArgumentException("report format version " + m.get("v") + " is not supported");
        }
        Map<?, ?> src = map(m, "source");
        Source source = new Source(str(src, "topic"), (int) num(src, "partition"), num(src, "offset"));
        List<Recipient> recipients = new ArrayList<>();
        Object rs = m.get("recipients");
        if (!(rs instanceof List)) {
            throw new IllegalArgumentException("report field \"recipients\" is not an array");
        }
        for (Object o : (List<?>) rs) {
            if (!(o instanceof Map)) {
                throw new IllegalArgumentException("report recipient is not an object: " + o);
            }
            Map<?, ?> r = (Map<?, ?>) o;
            recipients.add(new Recipient(str(r, "address"), Status.valueOf(str(r, "status")), (int) num(r, "code"),
                    (String) r.get("enhancedStatus"), (String) r.get("text")));
        }
        Retry retry = null;
        if (m.get("retry") != null) {
            Map<?, ?> r = map(m, "retry");
            retry = new Retry(str(r, "topic"), (int) num(r, "partition"), num(r, "offset"), (int) num(r, "attempt"),
                    num(r, "notBefore"));
        }
        return new JobReport((String) m.get("jobId"), source, (int) num(m, "attempt"),
                Outcome.valueOf(str(m, "outcome")), recipients, retry, (String) m.get("error"),
                (String) m.get("worker"), num(m, "at"));
    }

    private static Map<?, ?> map(Map<?, ?> m, String field) {
        Object o = m.get(field);
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException("report field \"" + field + "\" is not an object");
        }
        return (Map<?, ?>) o;
    }

    private static String str(Map<?, ?> m, String field) {
        Object o = m.get(field);
        if (!(o instanceof String)) {
            throw new IllegalArgumentException("report field \"" + field + "\" is not a string");
        }
        return (String) o;
    }

    private static long num(Map<?, ?> m, String field) {
        Object o = m.get(field);
        if (!(o instanceof Long)) {
            throw new IllegalArgumentException("report field \"" + field + "\" is not an integer");
        }
        return (Long) o;
    }
}
