package io.reactivesmtp.reactor.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

/**
 * The subscription of a value taken when subscribed (a pacing permit granted at once): delivered on the first
 * request, handed to {@code onCancel} if cancelled before, so that a place is never lost. One object, no operator.
 *
 * @param <T> the value's type
 */
final class Granted<T> extends AtomicBoolean implements Subscription {
    private final CoreSubscriber<? super T> actual;
    private final T value;
    private final Consumer<? super T> onCancel;

    /**
     * @param actual the subscriber
     * @param value the value taken
     * @param onCancel gives the value back (a method reference without state: no allocation per value)
     */
    Granted(CoreSubscriber<? super T> actual, T value, Consumer<? super T> onCancel) {
        this.actual = actual;
        this.value = value;
        this.onCancel = onCancel;
    }

    @Override
    public void request(long n) {
        if (Operators.validate(n) && compareAndSet(false, true)) {
            actual.onNext(value);
            actual.onComplete();
        }
    }

    @Override
    public void cancel() {
        if (compareAndSet(false, true)) {
            onCancel.accept(value);
        }
    }
}
