package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SmtpException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.pool.PoolShutdownException;
import reactor.pool.PooledRef;
import reactor.util.context.Context;

/**
 * {@link SessionPools#acquire} as one operator, since it runs for every message: takes a session of the
 * destination's pool, claims it and hands it out wrapped for the budget ({@link BudgetRef}). The rare turns go the
 * way of {@link SessionPools#acquireAgain}: a session not reusable or just taken by the budget to be closed is evicted
 * and another taken; a pool the sweeper dropped between lookup and acquire is looked up again.
 *
 * <p>The pool's acquire is requested once, however often the subscriber requests: reactor-pool's borrower takes every
 * {@code request(n)} as a new acquisition and queues itself again. Since reactor-core 3.8, {@code Mono.flatMap}
 * forwards downstream demand upstream instead of requesting once, so a {@code flatMap} with prefetch 1 above a send
 * (sendAll's) replenishes with a second {@code request(1)} that reaches the borrower after it was served: the borrower
 * would be queued again, the next session released to the pool handed to it, and nobody would ever release that
 * session. The pool would then run out of connections one by one and every send wait forever.
 */
final class SessionAcquire extends Mono<PooledRef<PooledSession>> {

    private final SessionPools pools;
    private final DestinationKey key;
    private final int attempts;

    SessionAcquire(SessionPools pools, DestinationKey key, int attempts) {
        this.pools = pools;
        this.key = key;
        this.attempts = attempts;
    }

    @Override
    public void subscribe(CoreSubscriber<? super PooledRef<PooledSession>> actual) {
        Mono<? extends PooledRef<PooledSession>> acquire;
        try {
            acquire = pools.poolAcquire(key);
        } catch (RuntimeException e) {
            Operators.error(actual, pools.acquireFailure(key, e));
            return;
        }
        acquire.subscribe(new Run(actual));
    }

    private final class Run extends Passing<PooledRef<PooledSession>, PooledRef<PooledSession>> {
        private static final AtomicIntegerFieldUpdater<Run> REQUESTED =
                AtomicIntegerFieldUpdater.newUpdater(Run.class, "requested");

        private volatile int requested;
        /** The subscription of the rare turn, once one runs: it delivers the session, or the failure. */
        private volatile Subscription again;
        private volatile boolean cancelled;

        Run(CoreSubscriber<? super PooledRef<PooledSession>> actual) {
            super(actual);
        }

        @Override
        public void onNext(PooledRef<PooledSession> ref) {
            if (!first(null)) {
                return;
            }
            PooledSession pooled = ref.poolable();
            if (pooled.session().isReusable() && pooled.tryClaim()) {
                actual.onNext(new BudgetRef(ref, pools.budget()));
                actual.onComplete();
                return;
            }
            // Not reusable, or just taken by the budget to be closed: evict it and take another.
            pools.evictAndAcquire(ref, key, attempts).subscribe(new Again(this));
        }

        @Override
        public void onError(Throwable e) {
            if (!first(e)) {
                return;
            }
            if (e instanceof PoolShutdownException && !pools.isDisposed() && attempts > 0) {
                // The sweeper dropped this pool between lookup and acquire: take the new one.
                pools.acquireAgain(key, attempts - 1).subscribe(new Again(this));
                return;
            }
            actual.onError(e instanceof SmtpException ? e : pools.acquireFailure(key, e));
        }


        @Override
        public void request(long n) {
            if (Operators.validate(n) && REQUESTED.compareAndSet(this, 0, 1)) {
                upstream.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            Subscription s = again;
            if (s != null) {
                s.cancel();
            }
            upstream.cancel();
        }
    }

    /** Passes on what the rare turn delivers. */
    private static final class Again implements CoreSubscriber<PooledRef<PooledSession>> {
        private final SessionAcquire.Run run;

        Again(SessionAcquire.Run run) {
            this.run = run;
        }

        @Override
        public Context currentContext() {
            return run.actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            run.again = s;
            if (run.cancelled) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(PooledRef<PooledSession> ref) {
            run.actual.onNext(ref);
        }

        @Override
        public void onError(Throwable e) {
            run.actual.onError(e);
        }

        @Override
        public void onComplete() {
            run.actual.onComplete();
        }
    }
}
