package io.reactivesmtp.reactor.internal;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.core.publisher.Operators;

/**
 * Passes a subscriber's first request on as one unbounded request and drops the later ones.
 *
 * <p>For reactor-pool's acquire: its borrower takes every {@code request(n)} as a new acquisition and queues itself
 * again. Since reactor-core 3.8, {@code Mono.flatMap} forwards downstream demand upstream instead of requesting
 * once, so a {@code flatMap} with prefetch 1 above a send (sendAll's) replenishes with a second {@code request(1)}
 * that reaches the borrower after it was served: the borrower is queued again, the next session released to the
 * pool is handed to it, and nobody ever releases that session. The pool then runs out of connections one by one
 * and every send waits forever.
 */
final class OneRequest {

    private OneRequest() {
    }

    /**
     * @param source a Mono that must see exactly one request
     * @param <T> its value type
     * @return the Mono, requested once however often its subscriber requests
     */
    static <T> Mono<T> of(Mono<T> source) {
        // An operator of its own rather than Operators.lift, which is made per message here and names each
        // lift with its lambda's toString().
        return new OnceMono<>(source);
    }

    private static final class OnceMono<T> extends MonoOperator<T, T> {
        OnceMono(Mono<T> source) {
            super(source);
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            source.subscribe(new Once<>(actual));
        }
    }

    private static final class Once<T> extends DemandFilter<T> {
        private static final AtomicIntegerFieldUpdater<Once> REQUESTED =
                AtomicIntegerFieldUpdater.newUpdater(Once.class, "requested");
        private volatile int requested;
        private Subscription upstream;

        Once(CoreSubscriber<? super T> actual) {
            super(actual);
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
            }
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n) && REQUESTED.compareAndSet(this, 0, 1)) {
                upstream.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void cancel() {
            upstream.cancel();
        }
    }
}
