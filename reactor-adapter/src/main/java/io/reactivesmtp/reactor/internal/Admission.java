package io.reactivesmtp.reactor.internal;

import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * The demand gate of sendAll: requests a message from the input only when the downstream (the flatMap) wants one
 * AND a slot is free. A message holds a slot from the moment it is requested until its attempt ends; a message
 * that then waits for a retry's backoff holds none, and takes one again ({@link #take()}) when its next attempt
 * starts. So messages waiting for a backoff of minutes do not keep new messages from being requested, while the
 * flatMap's own concurrency still bounds how many messages are held in all.
 *
 * <p>One instance per subscription of the input. Slot counts may go below zero for a moment (attempts back from
 * their backoff while every slot is taken): then nothing is requested until enough attempts ended.
 */
public final class Admission {

    private final AtomicInteger wip = new AtomicInteger();
    /** Guarded by {@code this}: requested by downstream and not yet passed on to the input. */
    private long demand;
    /** Guarded by {@code this}: slots not held; may be negative. */
    private long free;
    private volatile Subscription upstream;

    /** @param slots how many messages may hold a slot at once */
    public Admission(int slots) {
        this.free = slots;
    }

    /**
     * @param source the input
     * @param <T> its element type
     * @return the input, requested only as far as both the subscriber's demand and the free slots allow
     */
    public <T> Flux<T> gate(Publisher<T> source) {
        return Flux.from(source).transform(Operators.<T, T>lift((scannable, actual) -> new Gate<>(actual)));
    }

    /** An attempt of a message that held no slot (back from a backoff) starts: it holds one again. */
    public void take() {
        synchronized (this) {
            free--;
        }
    }

    /** An attempt ended: its slot is free (and a new message may be requested). */
    public void release() {
        synchronized (this) {
            free++;
        }
        drain();
    }

    /** Passes on demand; the work-in-progress loop keeps request/onNext/release recursion flat. */
    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            Subscription s = upstream;
            long n = 0;
            if (s != null) {
                synchronized (this) {
                    n = Math.min(demand, free);
                    if (n > 0) {
                        demand -= n;
                        free -= n;
                    }
                }
            }
            if (n > 0) {
                s.request(n);
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private final class Gate<T> extends DemandFilter<T> {

        Gate(CoreSubscriber<? super T> actual) {
            super(actual);
        }

        @Override
        public void onSubscribe(Subscription s) {
            upstream = s;
            actual.onSubscribe(this);
            drain();
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                synchronized (Admission.this) {
                    demand = Operators.addCap(demand, n);
                }
                drain();
            }
        }

        @Override
        public void cancel() {
            upstream.cancel();
        }
    }
}
