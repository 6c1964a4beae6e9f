package io.reactivesmtp.reactor.internal.mtasts;

import io.reactivesmtp.reactor.mtasts.MtaStsPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MTA-STS policies by domain, each valid for its {@code max_age} from when it was fetched (RFC 8461 3.3, 5.1),
 * by an injectable clock. A policy whose TXT record was checked less than {@code recheck} ago is used without
 * asking DNS again ({@link #confirmed}): a bulk send must not ask for the TXT record per message. At most {@code maxDomains} domains: the least recently used goes first. Thread-safe;
 * every method is a few map operations under one lock. Internal: not part of the API.
 */
public final class PolicyCache {

    private final Clock clock;
    private final Duration recheck;
    private final Map<String, Entry> entries;

    /**
     * @param clock the time policies expire by
     * @param recheck how long a TXT check holds
     * @param maxDomains how many domains are kept; at least 1
     */
    public PolicyCache(Clock clock, Duration recheck, int maxDomains) {
        this.clock = clock;
        this.recheck = recheck;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > maxDomains;
            }
        };
    }

    /**
     * @param domain a canonical domain
     * @return its policy if cached and not expired, else null (an expired one is dropped)
     */
    public synchronized MtaStsPolicy valid(String domain) {
        Entry e = entries.get(domain);
        if (e == null) {
            return null;
        }
        if (!clock.instant().isBefore(e.expires)) {
            entries.remove(domain);
            return null;
        }
        return e.policy;
    }

    /**
     * @param domain a canonical domain
     * @return its policy if cached, not expired, and its TXT record was checked less than {@code recheck} ago
     */
    public synchronized MtaStsPolicy confirmed(String domain) {
        MtaStsPolicy policy = valid(domain);
        return policy != null && clock.instant().isBefore(entries.get(domain).checked.plus(recheck)) ? policy : null;
    }

    /**
     * @param domain a canonical domain
     * @param policy its policy, just fetched: valid for its max_age from now
     */
    public synchronized void put(String domain, MtaStsPolicy policy) {
        Instant now = clock.instant();
        entries.put(domain, new Entry(policy, now.plus(policy.maxAge()), now));
    }

    /**
     * The TXT record still announces the cached policy's id: no DNS question for the next {@code recheck}.
     *
     * @param domain a canonical domain
     */
    public synchronized void checked(String domain) {
        Entry e = entries.get(domain);
        if (e != null) {
            entries.put(domain, new Entry(e.policy, e.expires, clock.instant()));
        }
    }

    /** @return the clock policies expire by */
    public Clock clock() {
        return clock;
    }

    /** @return how many domains are cached, expired ones included until asked for */
    public synchronized int size() {
        return entries.size();
    }

    private record Entry(MtaStsPolicy policy, Instant expires, Instant checked) {
    }
}
