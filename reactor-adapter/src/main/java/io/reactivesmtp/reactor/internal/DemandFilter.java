package io.reactivesmtp.reactor.internal;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.util.context.Context;

/**
 * An operator's subscriber that passes every signal through and decides only what becomes of the demand (the
 * subscriber of {@link Admission}'s gate).
 *
 * @param <T> the element type
 */
abstract class DemandFilter<T> implements CoreSubscriber<T>, Subscription {

    /** The subscriber downstream. */
    final CoreSubscriber<? super T> actual;

    DemandFilter(CoreSubscriber<? super T> actual) {
        this.actual = actual;
    }

    @Override
    public final Context currentContext() {
        return actual.currentContext();
    }

    @Override
    public final void onNext(T t) {
        actual.onNext(t);
    }

    @Override
    public final void onError(Throwable t) {
        actual.onError(t);
    }

    @Override
    public final void onComplete() {
        actual.onComplete();
    }
}
