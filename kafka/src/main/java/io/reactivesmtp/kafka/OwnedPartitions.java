package io.reactivesmtp.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * The partitions a worker owns, and the count of their jobs taken and not done. Changed only by the poll thread;
 * the count may be read from any thread.
 */
final class OwnedPartitions {

    private final Map<TopicPartition, OwnedPartition> byTp = new HashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    /** @return the partition, or null when it is not owned */
    OwnedPartition get(TopicPartition tp) {
        return byTp.get(tp);
    }

    /** @return whether this very partition is still owned (not revoked, nor revoked and assigned again) */
    boolean owns(OwnedPartition p) {
        return byTp.get(p.tp) == p;
    }

    /** @return every owned partition (a view) */
    Collection<OwnedPartition> all() {
        return byTp.values();
    }

    /** @return the owned partitions' names (a copy) */
    List<TopicPartition> names() {
        return new ArrayList<>(byTp.keySet());
    }

    /** @return those of the partitions that are owned, in their order */
    List<TopicPartition> names(Collection<TopicPartition> tps) {
        List<TopicPartition> owned = new ArrayList<>(tps);
        owned.retainAll(byTp.keySet());
        return owned;
    }

    /** Owns these partitions from now on. */
    void add(Map<TopicPartition, OwnedPartition> partitions) {
        byTp.putAll(partitions);
    }

    /** @return those of the partitions that are owned */
    List<OwnedPartition> owned(Collection<TopicPartition> tps) {
        List<OwnedPartition> owned = new ArrayList<>();
        for (TopicPartition tp : tps) {
            OwnedPartition p = byTp.get(tp);
            if (p != null) {
                owned.add(p);
            }
        }
        return owned;
    }

    /** A job of the partition is taken. */
    void started(OwnedPartition p, long offset) {
        p.progress.start(offset);
        inFlight.incrementAndGet();
    }

    /** A job of the partition is done: its report is acknowledged (-1: none was written, a replay). */
    void done(OwnedPartition p, long offset, long reportOffset, long retryOffset) {
        p.progress.done(offset, reportOffset, retryOffset);
        inFlight.decrementAndGet();
    }

    /** @return how many jobs of these partitions were abandoned: their sends cancelled, their results ignored */
    int abandon(Collection<TopicPartition> tps) {
        int abandoned = 0;
        for (OwnedPartition p : owned(tps)) {
            abandoned += p.abandonAll();
        }
        return abandoned;
    }

    /** Owns these partitions no more. */
    void forget(Collection<TopicPartition> tps) {
        for (OwnedPartition p : owned(tps)) {
            byTp.remove(p.tp);
            inFlight.addAndGet(-p.progress.inFlight());
        }
    }

    /** @return the jobs of these partitions taken and not done */
    int inFlight(Collection<TopicPartition> tps) {
        int n = 0;
        for (OwnedPartition p : owned(tps)) {
            n += p.progress.inFlight();
        }
        return n;
    }

    /** @return the jobs taken and not done, over all partitions */
    int inFlight() {
        return inFlight.get();
    }
}
