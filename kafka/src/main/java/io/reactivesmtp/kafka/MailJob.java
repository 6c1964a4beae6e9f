package io.reactivesmtp.kafka;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
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
        Object root;
        try {
            root = JsonValue.parse(new String(value, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new InvalidJobException("job is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map)) {
            throw new InvalidJobException("job is not a JSON object");
        }
        Map<?, ?> m = (Map<?, ?>) root;
        Object v = m.get("v");
        if (!(v instanceof Long)) {
            throw new InvalidJobException("job has no integer format version \"v\"");
        }
        if ((Long) v != VERSION) {
            throw new InvalidJobException("job format version " + v + " is not supported (this worker reads "
                    + VERSION + ")");
        }
        String id = string(m, "id");
        String from = string(m, "from");
        Object rcpts = m.get("recipients");
        if (!(rcpts instanceof List) || ((List<?>) rcpts).isEmpty()) {
            throw new InvalidJobException("job " + id + ": \"recipients\" must be a non-empty array of addresses");
        }
        List<String> recipients = new ArrayList<>();
        for (Object r : (List<?>) rcpts) {
            if (!(r instanceof String)) {
                throw new InvalidJobException("job " + id + ": \"recipients\" holds a non-string: " + r);
            }
            recipients.add((String) r);
        }
        byte[] content;
        if (m.containsKey("content") == m.containsKey("text")) {
            throw new InvalidJobException("job " + id + ": exactly one of \"content\" (base64) and \"text\" is required");
        } else if (m.containsKey("content")) {
            try {
                content = Base64.getDecoder().decode(string(m, "content"));
            } catch (IllegalArgumentException e) {
                throw new InvalidJobException("job " + id + ": \"content\" is not valid base64: " + e.getMessage(), e);
            }
        } else {
            content = string(m, "text").getBytes(StandardCharsets.UTF_8);
        }
        int attempt = 1;
        if (m.containsKey("attempt")) {
            Object a = m.get("attempt");
            if (!(a instanceof Long) || (Long) a < 1 || (Long) a > Integer.MAX_VALUE) {
                throw new InvalidJobException("job " + id + ": \"attempt\" must be a positive integer: " + a);
            }
            attempt = (int) (long) (Long) a;
        }
        Instant notBefore = null;
        if (m.containsKey("notBefore") && m.get("notBefore") != null) {
            Object nb = m.get("notBefore");
            if (!(nb instanceof Long)) {
                throw new InvalidJobException("job " + id + ": \"notBefore\" must be epoch milliseconds: " + nb);
            }
            notBefore = Instant.ofEpochMilli((Long) nb);
        }
        JobReport.Source parent = null;
        if (m.get("parent") != null) {
            Object pm = m.get("parent");
            if (!(pm instanceof Map) || !(((Map<?, ?>) pm).get("topic") instanceof String)
                    || !(((Map<?, ?>) pm).get("partition") instanceof Long)
                    || !(((Map<?, ?>) pm).get("offset") instanceof Long)) {
                throw new InvalidJobException("job " + id + ": \"parent\" must be {\"topic\",\"partition\",\"offset\"}: "
                        + pm);
            }
            Map<?, ?> pmap = (Map<?, ?>) pm;
            parent = new JobReport.Source((String) pmap.get("topic"), (int) (long) (Long) pmap.get("partition"),
                    (Long) pmap.get("offset"));
        }
        try {
            return create(id, from, recipients, content, attempt, notBefore, parent);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new InvalidJobException("job " + id + ": " + e.getMessage(), e);
        }
    }

    private static String string(Map<?, ?> m, String field) throws InvalidJobException {
        Object o = m.get(field);
        if (!(o instanceof String)) {
            throw new InvalidJobException("job field \"" + field + "\" is " + (o == null ? "missing" : "not a string"));
        }
        return (String) o;
    }

    /** @return the record value: the JSON text in UTF-8, with the content in base64 */
    public byte[] toBytes() {
        Map<String, Object> m = JsonValue.object();
        m.put("v", VERSION);
        m.put("id", id);
        m.put("from", from);
        m.put("recipients", recipients);
        m.put("content", Base64.getEncoder().encodeToString(content));
        m.put("attempt", attempt);
        if (notBefore != null) {
            m.put("notBefore", notBefore.toEpochMilli());
        }
        if (parent != null) {
            Map<String, Object> pm = JsonValue.object();
            pm.put("topic", parent.topic());
            pm.put("partition", parent.partition());
            pm.put("offset", parent.offset());
            m.put("parent", pm);
        }
        return JsonValue.write(m).getBytes(StandardCharsets.UTF_8);
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
}
