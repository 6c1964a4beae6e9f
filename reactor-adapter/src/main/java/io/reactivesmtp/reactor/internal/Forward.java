package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SendReport;
import java.util.function.Consumer;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * Passes the outcome of a send that a one-step operator handed its work to (the general steps after
 * {@link LeanSend}, a stale session's retry in {@link Transaction}) on as that operator's own: the report completes
 * it, an error fails it, an empty end completes it empty; after a cancel, nothing passes.
 */
final class Forward implements CoreSubscriber<SendReport> {
    private final Operators.MonoSubscriber<?, SendReport> run;
    private final Consumer<Subscription> holds;
    private boolean reported;

    /**
     * @param run the operator's subscription, which completes with the report
     * @param holds keeps the inner subscription, for the operator's cancel
     */
    Forward(Operators.MonoSubscriber<?, SendReport> run, Consumer<Subscription> holds) {
        this.run = run;
        this.holds = holds;
    }

    /** Requests everything of {@code s}, or cancels it at once when {@code run} was cancelled. */
    static void take(Subscription s, Operators.MonoSubscriber<?, ?> run) {
        if (run.isCancelled()) {
            s.cancel();
        } else {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public Context currentContext() {
        return run.actual().currentContext();
    }

    @Override
    public void onSubscribe(Subscription s) {
        holds.accept(s);
        take(s, run);
    }

    @Override
    public void onNext(SendReport report) {
        reported = true;
        run.complete(report);
    }

    @Override
    public void onError(Throwable e) {
        if (run.isCancelled()) {
            Operators.onErrorDropped(e, run.currentContext());
        } else {
            run.actual().onError(e);
        }
    }

    @Override
    public void onComplete() {
        if (!reported && !run.isCancelled()) {
            run.actual().onComplete();
        }
    }
}
