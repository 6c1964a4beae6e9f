package io.reactivesmtp.reactor;

import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/**
 * Where a {@link Warmup} keeps how many recipients each site was sent each day, so that the count survives restarts
 * and is shared by every instance: the application implements it over its database, Redis or a file.
 * {@link #inMemory()} keeps the counts in this JVM only. The methods return a {@code Mono} so that an implementation
 * never blocks the event loop it is called on: wrap blocking I/O in
 * {@code Mono.fromCallable(..).subscribeOn(Schedulers.boundedElastic())}.
 */
public interface WarmupStore {

    /**
     * Counts {@code recipients} more for the site and day if the count stays within {@code limit}, atomically
     * (two instances must not both take the last places).
     *
     * @param site the pacing site
     * @param day the day
     * @param recipients how many recipients one transaction is about to be sent
     * @param limit the day's limit for the site
     * @return true when counted (the transaction goes), false when the day's volume is spent
     */
    Mono<Boolean> tryAdd(String site, LocalDate day, int recipients, long limit);

    /**
     * Takes back a count that was never used: the transaction failed before the site answered its MAIL command.
     *
     * @param site the pacing site
     * @param day the day it was counted on
     * @param recipients as counted
     * @return completes when done
     */
    Mono<Void> giveBack(String site, LocalDate day, int recipients);

    /** @return a store that keeps the counts in this JVM (lost on restart; one per client) */
    static WarmupStore inMemory() {
        Map<String, Long> counts = new ConcurrentHashMap<>();
        return new WarmupStore() {
            @Override
            public Mono<Boolean> tryAdd(String site, LocalDate day, int recipients, long limit) {
                return Mono.fromSupplier(() -> {
                    boolean[] added = new boolean[1];
                    counts.compute(site + " " + day, (k, v) -> {
                        long now = v == null ? 0 : v;
                        added[0] = now + recipients <= limit;
                        return added[0] ? now + recipients : now;
                    });
                    return added[0];
                });
            }

            @Override
            public Mono<Void> giveBack(String site, LocalDate day, int recipients) {
                return Mono.fromRunnable(() -> counts.computeIfPresent(site + " " + day,
                        (k, v) -> Math.max(0, v - recipients)));
            }

            @Override
            public String toString() {
                return "WarmupStore.inMemory" + counts;
            }
        };
    }
}
