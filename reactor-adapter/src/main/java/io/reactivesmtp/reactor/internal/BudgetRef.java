package io.reactivesmtp.reactor.internal;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.pool.PooledRef;
import reactor.pool.PooledRefMetadata;

/**
 * A pooled session as {@link SessionPools} hands it out: releasing it marks the session idle first (so the pool may
 * hand it on, and the {@link ConnectionBudget} may close it for a waiting connect), then tells the budget, which
 * closes an idle session if connects wait for a slot.
 */
final class BudgetRef implements PooledRef<PooledSession> {

    private final PooledRef<PooledSession> ref;
    private final ConnectionBudget budget;

    BudgetRef(PooledRef<PooledSession> ref, ConnectionBudget budget) {
        this.ref = ref;
        this.budget = budget;
    }

    @Override
    public PooledSession poolable() {
        return ref.poolable();
    }

    @Override
    public PooledRefMetadata metadata() {
        return ref.metadata();
    }

    @Override
    public Mono<Void> invalidate() {
        return ref.invalidate();
    }

    /**
     * Hands a session back to its pool, or invalidates it, at once and without a chain of operators (this runs for
     * every message): what {@link #release()} or {@link #invalidate()} does, with errors dropped.
     *
     * @param ref the session
     * @param reusable true to release it, false to invalidate it
     * @param then runs once that is done, whether it worked or not; null for nothing
     */
    static void settle(PooledRef<PooledSession> ref, boolean reusable, Runnable then) {
        if (!reusable) {
            ref.invalidate().subscribe(new Settled(then, null));
        } else if (ref instanceof BudgetRef) {
            BudgetRef b = (BudgetRef) ref;
            b.ref.poolable().idle();
            b.ref.release().subscribe(new Settled(then, b.budget));
        } else {
            ref.release().subscribe(new Settled(then, null));
        }
    }

    @Override
    public Mono<Void> release() {
        return Mono.defer(() -> {
            // Idle before the pool has it: a send waiting in the pool may take it at once (and claim it again).
            ref.poolable().idle();
            return ref.release();
        }).doFinally(signal -> budget.idled());
    }

    /** Runs {@code then}, then tells the budget (if any) that the session went back, once the pool is done. */
    private static final class Settled implements CoreSubscriber<Void> {
        private final Runnable then;
        private final ConnectionBudget budget;

        Settled(Runnable then, ConnectionBudget budget) {
            this.then = then;
            this.budget = budget;
        }

        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Void v) {
        }

        @Override
        public void onError(Throwable e) {
            onComplete(); // settled either way: the pool dropped or closed it
        }

        @Override
        public void onComplete() {
            if (then != null) {
                then.run();
            }
            if (budget != null) {
                budget.idled();
            }
        }
    }
}
