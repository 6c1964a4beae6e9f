package io.reactivesmtp.reactor.internal;

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

    @Override
    public Mono<Void> release() {
        return Mono.defer(() -> {
            // Idle before the pool has it: a send waiting in the pool may take it at once (and claim it again).
            ref.poolable().idle();
            return ref.release();
        }).doFinally(signal -> budget.idled());
    }
}
