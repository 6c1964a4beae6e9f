package io.reactivesmtp.reactor.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A bounded cache of MX answers, each kept for its DNS TTL. Internal: not part of the API.
 *
 * <p>Bounded because a bulk sender sees an open-ended set of recipient domains; least recently used entries
 * go first. Thread-safe through one lock held only for map operations (no I/O), so it never blocks an event
 * loop for long.
 */
public final class DnsMxCache {

    private final int maxEntries;
    private final LongSupplier nanoClock;
    private final LinkedHashMap<String, Entry> entries;

    /**
     * @param maxEntries the most domains kept, at least 1
     * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime} outside tests)
     */
    public DnsMxCache(int maxEntries, LongSupplier nanoClock) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("invalid MX cache size " + maxEntries + ": expected at least 1");
        }
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > DnsMxCache.this.maxEntries;
            }
        };
    }

    /**
     * @param domain the canonical domain
     * @return its answer while its TTL runs, else null
     */
    public DnsMxAnswer get(String domain) {
        synchronized (entries) {
            Entry e = entries.get(domain);
            if (e == null) {
                return null;
            }
            if (nanoClock.getAsLong() - e.expiresAt >= 0) {
                entries.remove(domain);
                return null;
            }
            return e.answer;
        }
    }

    /**
     * Keeps an answer for its TTL; an answer with a TTL of 0 is not kept (RFC 1035: use it only for the
     * transaction in progress).
     *
     * @param domain the canonical domain
     * @param answer what DNS said
     * @param ttlSeconds how long to keep it
     */
    public void put(String domain, DnsMxAnswer answer, long ttlSeconds) {
        if (ttlSeconds <= 0) {
            return;
        }
        long expiresAt = nanoClock.getAsLong() + TimeUnit.SECONDS.toNanos(ttlSeconds);
        synchronized (entries) {
            entries.put(domain, new Entry(answer, expiresAt));
        }
    }

    /** @return how many domains are cached, expired ones included until they are next looked up */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private static final class Entry {
        final DnsMxAnswer answer;
        final long expiresAt;

        Entry(DnsMxAnswer answer, long expiresAt) {
            this.answer = answer;
            this.expiresAt = expiresAt;
        }
    }
}
