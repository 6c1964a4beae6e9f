package io.reactivesmtp.reactor.internal.mtasts;

import io.reactivesmtp.internal.SafeText;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the {@code _mta-sts} TXT records of a domain say (RFC 8461 3.1): no policy, an invalid record, or the id
 * of the current policy. Internal: not part of the API.
 *
 * @param id the policy id, when {@link #problem} is null and there was a record
 * @param problem why the records are unusable, or null
 */
public record StsTxt(String id, String problem) {

    private static final String VERSION = "v=STSv1";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9]{1,32}");

    /**
     * @param records the TXT records of {@code _mta-sts.<domain>}
     * @return {@code (null, null)} when no record begins with {@code v=STSv1}; the id when exactly one does and
     *         it is valid; otherwise a problem (several records, or a malformed one: RFC 8461 says the domain
     *         then has no available policy)
     */
    public static StsTxt read(List<String> records) {
        List<String> candidates = TxtFields.candidates(records, VERSION);
        if (candidates.isEmpty()) {
            return new StsTxt(null, null);
        }
        if (candidates.size() > 1) {
            return new StsTxt(null, candidates.size() + " TXT records begin with " + VERSION + ", expected one");
        }
        try {
            Map<String, String> fields = TxtFields.parse(candidates.get(0), VERSION, Set.of("id"), "MTA-STS");
            String id = fields.get("id");
            if (id == null) {
                return new StsTxt(null, "TXT record \"" + SafeText.escape(candidates.get(0)) + "\" has no id");
            }
            if (!ID.matcher(id).matches()) {
                return new StsTxt(null, "TXT record \"" + SafeText.escape(candidates.get(0))
                        + "\": id must be 1 to 32 letters or digits");
            }
            return new StsTxt(id, null);
        } catch (IllegalArgumentException e) {
            return new StsTxt(null, e.getMessage());
        }
    }

    /** @return whether a policy is announced (an id was read) */
    public boolean announced() {
        return id != null;
    }
}
