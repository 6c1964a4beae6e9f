package io.reactivesmtp.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a job record is keyed, which decides its partition and so the worker that sends it.
 *
 * <p>The default, {@link #DOMAIN}, keys by the recipients' domain: one domain's traffic stays on one partition,
 * hence one worker at a time, so the client's per-destination limits (connections, in-flight, rate) hold across
 * the group. Jobs should then hold recipients of one domain ({@code enqueue} groups them so).
 */
public final class JobKeys {

    /** The recipients' domain (of the first recipient), in lower case. */
    public static final JobKeys DOMAIN = new JobKeys("domain", MailJob::firstDomain);

    /** The job id: spreads one domain's jobs over every partition. */
    public static final JobKeys JOB_ID = new JobKeys("job-id", MailJob::id);

    /** No key: the producer's partitioner spreads the jobs. */
    public static final JobKeys NONE = new JobKeys("none", job -> null);

    private final String name;
    private final Function<MailJob, String> key;

    private JobKeys(String name, Function<MailJob, String> key) {
        this.name = name;
        this.key = key;
    }

    /**
     * @param name a name for messages
     * @param key the key of a job, or null for none
     * @return a custom strategy
     */
    public static JobKeys custom(String name, Function<MailJob, String> key) {
        return new JobKeys(Objects.requireNonNull(name, "name"), Objects.requireNonNull(key, "key"));
    }

    /**
     * @param name {@code domain}, {@code job-id} or {@code none}
     * @return the strategy
     * @throws IllegalArgumentException for another name, naming it
     */
    public static JobKeys named(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "domain":
                return DOMAIN;
            case "job-id":
                return JOB_ID;
            case "none":
                return NONE;
            default:
                throw new IllegalArgumentException("unknown key strategy \"" + name + "\": domain, job-id or none");
        }
    }

    /**
     * @param job a job
     * @return its record key in UTF-8, or null
     */
    public byte[] key(MailJob job) {
        String k = key.apply(job);
        return k == null ? null : k.getBytes(StandardCharsets.UTF_8);
    }

    /** @return the strategy's name */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }
}
