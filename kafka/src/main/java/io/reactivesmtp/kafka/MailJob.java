package io.reactivesmtp.kafka;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One mail job: an envelope (sender and recipients) and an RFC 5322 message, as a record of the jobs topic.
 * The wire format is JSON, version 1 ({@code FORMAT.md} in this module has the full description):
 *
 * <pre>{@code
 * {"v":1,"id":"6f1c…","from":"news@example.com","recipients":["a@example.org","b@example.org"],
 *  "content":"RnJvbTogbmV3c0BleGFtcGxlLmNvbQ0KLi4u","attempt":1,"notBefore":1764345600000}
 * }</pre>
 *
 * <p>{@code content} is the base64 of the message bytes; {@code text} may replace it with the message as a JSON
 * string (sent as UTF-8). {@code from} is {@code ""} for the null reverse path. {@code attempt} (default 1) and
 * {@code notBefore} (epoch milliseconds, default none) are set by the worker on retry jobs. Unknown fields are
 * ignored, so a producer may add its own; an unknown {@code v} is refused. Retry jobs also carry {@code parent}
 * ({@code {"topic":…,"partition":…,"offset":…}}), where the attempt they retry was read.
 *
 * <pre>{@code
 * MailJob job = MailJob.of("news@example.com", List.of("a@example.org"), messageBytes);
 * producer.send(new ProducerRecord<>("mail.jobs", JobKeys.DOMAIN.key(job), job.toBytes()));
 * }</pre>
 */
public final class MailJob {

    /** The format version this class reads and writes. */
    public static final int VERSION = 1;

    private final String id;
    private final String from;
    private final List<String> recipients;
    private final byte[] content;
    private final int attempt;
    private final Instant notBefore;
    private final JobReport.Source parent;

    private MailJob(String id, String from, List<String> recipients, byte[] content, int attempt, Instant notBefore,
            JobReport.Source parent) {
        this.id = id;
        this.from = from;
        this.recipients = List.copyOf(recipients);
        this.content = content;
        this.attempt = attempt;
        this.notBefore = notBefore;
        this.parent = parent;
    }

    /**
     * A first-attempt job with a random UUID as its id.
     *
     * @param from the sender, or {@code ""} for the null reverse path
     * @param recipients at least one, valid and distinct
     * @param content the RFC 5322 message
     * @return the job
     * @throws IllegalArgumentException naming the bad address, or if there is no recipient or one appears twice
     */
    public static MailJob of(String from, List<String> recipients, byte[] content) {
        return create(java.util.UUID.randomUUID().toString(), from, recipients, content, 1, null);
    }

    /**
     * @param id the job's id (stable across its retries)
     * @param from the sender, or {@code ""} for the null reverse path
     * @param recipients at least one, valid and distinct
     * @param content the RFC 5322 message
     * @param attempt 1 for the first attempt
     * @param notBefore when it may be sent, or null for now
     * @return the job
     * @throws IllegalArgumentException naming the bad input
     */
    public static MailJob create(String id, String from, List<String> recipients, byte[] content, int attempt,
            Instant notBefore) {
        return create(id, from, recipients, content, attempt, notBefore, null);
    }

    private static MailJob create(String id, String from, List<String> recipients, byte[] content, int attempt,
            Instant notBefore, JobReport.Source parent) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(recipients, "recipients");
        Objects.requireNonNull(content, "content");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("job id is empty");
        }
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1: " + attempt);
        }
        MailJob job = new MailJob(id, from, recipients, content.clone(), attempt, notBefore, parent);
        job.envelope(); // validates every address, the count and duplicates
        return job;
    }

    /**
     * Reads a job record.
     *
     * @param value the record's value
     * @return the job
     * @throws InvalidJobException naming what is wrong: not JSON, unknown version, missing or mistyped field,
     *     invalid address, bad base64
     */
    public static MailJob parse(byte[] value) throws InvalidJobException {
        if (value == null) {
            throw new InvalidJobException("job record has no value (a tombstone?)");
        }
        JsonNode tree;
        try {
            tree = RecordJson.MAPPER.readTree(value);
        } catch (IOException e) {
            throw new InvalidJobException("job is not valid JSON: " + problem(e), e);
        }
        if (tree == null || tree.isMissingNode()) {
            throw new InvalidJobException("job is not valid JSON: the record is empty");
        }
        if (!tree.isObject()) {
            throw new InvalidJobException("job is not a JSON object");
        }
        String id = checkVersionAndId(tree);
        for (String field : Wire.NOT_NULL) {
            if (tree.path(field).isNull()) {
                throw new InvalidJobException("job " + id + ": \"" + field + "\" " + Wire.RULES.get(field) + ": null");
            }
        }
        Wire w;
        try {
            w = RecordJson.MAPPER.treeToValue(tree, Wire.class);
        } catch (JsonProcessingException e) {
            String field = RecordJson.field(e);
            String rule = Wire.RULES.get(field);
            throw new InvalidJobException("job " + id + ": " + (rule == null ? "" : "\"" + field + "\" " + rule + ": ")
                    + RecordJson.problem(e), e);
        }
        try {
            int attempt = w.attempt() == null ? 1 : (int) (long) w.attempt();
            return create(id, w.from(), w.recipients(), w.messageBytes(), attempt,
                    w.notBefore() == null ? null : Instant.ofEpochMilli(w.notBefore()), w.parent());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new InvalidJobException("job " + id + ": " + e.getMessage(), e);
        }
    }

    /** The version first: a record of another version may have any other shape. Then the id, which errors name. */
    private static String checkVersionAndId(JsonNode tree) throws InvalidJobException {
        JsonNode v = tree.get("v");
        if (v == null || !v.isIntegralNumber()) {
            throw new InvalidJobException("job has no integer format version \"v\"");
        }
        if (!v.canConvertToInt() || v.intValue() != VERSION) {
            throw new InvalidJobException("job format version " + v + " is not supported (this worker reads "
                    + VERSION + ")");
        }
        JsonNode id = tree.get("id");
        if (id == null || !id.isTextual()) {
            throw new InvalidJobException("job field \"id\" is " + (id == null || id.isNull() ? "missing"
                    : "not a string"));
        }
        return id.textValue();
    }

    private static String problem(IOException e) {
        return e instanceof JsonProcessingException ? RecordJson.problem((JsonProcessingException) e) : e.toString();
    }

    /** @return the record value: the JSON text in UTF-8, with the content in base64 */
    public byte[] toBytes() {
        Wire w = new Wire(VERSION, id, from, recipients, Base64.getEncoder().encodeToString(content), null,
                (long) attempt, notBefore == null ? null : notBefore.toEpochMilli(), parent);
        try {
            return RecordJson.MAPPER.writeValueAsBytes(w);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write job " + id + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param subset the recipients of the retry, a non-empty subset of this job's
     * @param notBefore when the retry may be sent
     * @param parent where this attempt's record is (so that a replay of it can tell the retry was written)
     * @return the next attempt of this job: same id, sender and content
     */
    public MailJob retry(List<String> subset, Instant notBefore, JobReport.Source parent) {
        return create(id, from, subset, content, attempt + 1, notBefore, Objects.requireNonNull(parent, "parent"));
    }

    /** @return the envelope the job describes */
    public Envelope envelope() {
        Envelope.Builder b = Envelope.builder();
        if (from.isEmpty()) {
            b.nullSender();
        } else {
            b.from(from);
        }
        Set<String> seen = new LinkedHashSet<>();
        for (String r : recipients) {
            if (!seen.add(r)) {
                throw new IllegalArgumentException("recipient " + r + " appears twice");
            }
        }
        return b.to(recipients.toArray(new String[0])).build();
    }

    /** @return the id, the same for every attempt of the job */
    public String id() {
        return id;
    }

    /** @return the sender, {@code ""} for the null reverse path */
    public String from() {
        return from;
    }

    /** @return the recipients, as given */
    public List<String> recipients() {
        return recipients;
    }

    /** @return a copy of the message bytes */
    public byte[] content() {
        return content.clone();
    }

    /** @return 1 for the first attempt, more for retries */
    public int attempt() {
        return attempt;
    }

    /** @return when the job may be sent, if it must wait */
    public Optional<Instant> notBefore() {
        return Optional.ofNullable(notBefore);
    }

    /** @return for a retry job, where the attempt it retries was read */
    public Optional<JobReport.Source> parent() {
        return Optional.ofNullable(parent);
    }

    /** @return the domain of the first recipient, lower case (the default record key) */
    public String firstDomain() {
        return MailAddress.of(recipients.get(0)).asciiDomain().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String toString() {
        return "MailJob{" + id + ", attempt " + attempt + ", " + recipients.size() + " recipient(s), "
                + content.length + " bytes}";
    }

    /**
     * The JSON shape of a job record, as Jackson reads and writes it; its constructor checks each field on its own
     * (the envelope as a whole is checked by {@link #create}). {@code v} and {@code id} are checked on the tree
     * before, so that a record of another version gets the version's error.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"v", "id", "from", "recipients", "content", "text", "attempt", "notBefore", "parent"})
    private record Wire(int v, String id, String from,
            @JsonSetter(contentNulls = Nulls.FAIL) List<String> recipients, String content, String text,
            Long attempt, Long notBefore, JobReport.Source parent) {

        /** What each field must be, for the error of a value Jackson could not bind. */
        static final Map<String, String> RULES = Map.of(
                "from", "must be a string",
                "recipients", "must be a non-empty array of addresses",
                "content", "must be a base64 string",
                "text", "must be a string",
                "attempt", "must be a positive integer",
                "notBefore", "must be epoch milliseconds",
                "parent", "must be {\"topic\",\"partition\",\"offset\"}");

        /** The fields that may be absent but not null (an explicit null is a mistake worth naming). */
        static final List<String> NOT_NULL = List.of("from", "recipients", "content", "text", "attempt");

        Wire {
            RecordJson.requireWellFormed("id", id);
            if (from == null) {
                throw new IllegalArgumentException("\"from\" is missing");
            }
            RecordJson.requireWellFormed("from", from);
            if (recipients == null || recipients.isEmpty()) {
                throw new IllegalArgumentException("\"recipients\" must be a non-empty array of addresses");
            }
            for (String r : recipients) {
                RecordJson.requireWellFormed("recipients", r);
            }
            if ((content == null) == (text == null)) {
                throw new IllegalArgumentException("exactly one of \"content\" (base64) and \"text\" is required");
            }
            if (text != null) {
                RecordJson.requireWellFormed("text", text);
            }
            if (attempt != null && (attempt < 1 || attempt > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException("\"attempt\" must be a positive integer: " + attempt);
            }
        }

        /** @return the message: the base64 content decoded, or the text in UTF-8 */
        byte[] messageBytes() {
            if (text != null) {
                return text.getBytes(StandardCharsets.UTF_8);
            }
            try {
                return Base64.getDecoder().decode(content);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("\"content\" is not valid base64: " + e.getMessage(), e);
            }
        }
    }
}
