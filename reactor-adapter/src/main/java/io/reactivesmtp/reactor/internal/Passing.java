package io.reactivesmtp.reactor.internal;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * The shared part of this package's one-step operators: a subscriber that is also its subscriber's subscription,
 * passing the context, the demand and a cancel through; each decides what becomes of the signals.
 *
 * @param <I> what it receives
 * @param <O> what it passes on
 */
abstract class Passing<I, O> implements CoreSubscriber<I>, Subscription {

    /** The subscriber downstream. */
    final CoreSubscriber<? super O> actual;
    /** Set once subscribed. */
    Subscription upstream;
    /** Set by the first value or error taken: a Mono's one signal that counts. */
    private boolean done;

    Passing(CoreSubscriber<? super O> actual) {
        this.actual = actual;
    }

    @Override
    public final Context currentContext() {
        return actual.currentContext();
    }

    @Override
    public final void onSubscribe(Subscription s) {
        if (Operators.validate(upstream, s)) {
            upstream = s;
            actual.onSubscribe(this);
        }
    }

    /**
     * @param e the error taken, or null for a value
     * @return true for the first value or error; false after one (an error is then dropped)
     */
    final boolean first(Throwable e) {
        if (done) {
            if (e != null) {
                Operators.onErrorDropped(e, actual.currentContext());
            }
            return false;
        }
        done = true;
        return true;
    }

    /** Completes downstream, unless a value or error was taken (its step completes it). */
    @Override
    public void onComplete() {
        if (!done) {
            done = true;
            actual.onComplete();
        }
    }

    @Override
    public void request(long n) {
        upstream.request(n);
    }

    @Override
    public void cancel() {
        upstream.cancel();
    }
}
