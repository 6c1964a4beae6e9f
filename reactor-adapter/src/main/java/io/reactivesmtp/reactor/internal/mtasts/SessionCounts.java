package io.reactivesmtp.reactor.internal.mtasts;

import io.reactivesmtp.reactor.mtasts.TlsRptFailure;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sessions counted under one policy in one period: successes, and failures by their details. Not
 * thread-safe: its owner locks. Internal: not part of the API.
 */
public final class SessionCounts {

    private long successes;
    private final Map<TlsRptFailure, Long> failures = new LinkedHashMap<>();

    /** Counts a success. */
    public void success() {
        successes++;
    }

    /** @param failure counts a failure with these details */
    public void failure(TlsRptFailure failure) {
        failures.merge(failure, 1L, Long::sum);
    }

    /** @return the successful sessions */
    public long successes() {
        return successes;
    }

    /** @return the failed sessions, all details together */
    public long failureTotal() {
        return failures.values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return a copy of the failed sessions by details, in the order first seen */
    public Map<TlsRptFailure, Long> failures() {
        return new LinkedHashMap<>(failures);
    }

    /** @return a copy */
    public SessionCounts copy() {
        SessionCounts c = new SessionCounts();
        c.successes = successes;
        c.failures.putAll(failures);
        return c;
    }
}
