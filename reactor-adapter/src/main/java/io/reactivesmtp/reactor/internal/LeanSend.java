package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import java.util.List;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.pool.PooledRef;
import reactor.util.context.Context;

/**
 * The transactions of one message to one destination, without a rate limit or a warm-up, on the path nearly every
 * message takes, as one operator: a pacing place granted at once, a session of the first candidate, the
 * {@link Transaction}, and a report that was neither refused at MAIL nor put recipients off. Written as the general
 * chain (pacing's requeue, failover, the recipient-limit follow-up) it was a dozen operators per message.
 *
 * <p>Each turn off that path is handed to the general steps of {@link Sender}, with what happened so far, so the
 * rest goes exactly as there: a site without room (or with a rate) waits in {@link AdaptivePacing#withPermit}; a
 * session that could not be had goes to {@link Sender#acquireFailed} (the other candidates, pacing's requeue); a
 * report refused at MAIL or a failure goes to {@link Sender#continued}; recipients put off go to
 * {@link Sender#followUp}.
 */
final class LeanSend extends Mono<SendReport> {

    private final Sender sender;
    private final List<DestinationKey> candidates;
    private final Envelope envelope;
    private final MessageContent content;

    LeanSend(Sender sender, List<DestinationKey> candidates, Envelope envelope, MessageContent content) {
        this.sender = sender;
        this.candidates = candidates;
        this.envelope = envelope;
        this.content = content;
    }

    @Override
    public void subscribe(CoreSubscriber<? super SendReport> actual) {
        AdaptivePacing pacing = sender.pacing();
        DestinationKey key = candidates.get(0);
        AdaptivePacing.Permit permit = null;
        if (pacing != null) {
            permit = pacing.tryAcquire(sender.site(key));
            if (permit == null) {
                // No room now: the general path waits for a place (bounded), then goes the same way.
                sender.continued(sender.firstAttempt(candidates, envelope, content), candidates, envelope, content)
                        .subscribe(actual);
                return;
            }
        }
        Run run = new Run(actual, permit);
        actual.onSubscribe(run);
        if (run.isCancelled()) {
            run.releasePermit();
            return;
        }
        sender.pools().acquire(key).subscribe(new Acquiring(run));
    }

    /** One subscription: takes the transaction's outcome, and hands any other turn to the general steps. */
    private final class Run extends Operators.MonoSubscriber<SendReport, SendReport> {
        private final AdaptivePacing.Permit permit;
        /** What runs now: the acquire, the transaction, or the general steps. */
        private volatile Subscription current;
        private boolean reported;

        Run(CoreSubscriber<? super SendReport> actual, AdaptivePacing.Permit permit) {
            super(actual);
            this.permit = permit;
        }

        void releasePermit() {
            if (permit != null) {
                permit.release();
            }
        }

        void acquired(PooledRef<PooledSession> ref) {
            Sender.Acquired acquired = new Sender.Acquired(ref, null, candidates.get(0), permit);
            sender.transaction(candidates, envelope, content, true, acquired).subscribe(this);
        }

        void acquireFailed(Throwable e) {
            generally(sender.continued(sender.acquireFailed(candidates, envelope, content, permit, e),
                    candidates, envelope, content));
        }

        private void generally(Mono<SendReport> rest) {
            rest.subscribe(new Forward(this, s -> current = s));
        }

        /** The transaction started. */
        @Override
        public void onSubscribe(Subscription s) {
            current = s;
            Forward.take(s, this);
        }

        /** The transaction's report. */
        @Override
        public void onNext(SendReport report) {
            reported = true;
            if (sender.pacing() != null && PacingSignals.refusedAtMail(report)) {
                generally(sender.continued(Mono.just(report), candidates, envelope, content));
                return;
            }
            List<MailAddress> rest = sender.leftOver(candidates, report);
            if (rest.isEmpty()) {
                complete(report);
            } else {
                generally(sender.followUp(candidates, envelope, content, report, rest));
            }
        }

        /** The transaction failed: what follows (pacing's requeue) is the general steps'. */
        @Override
        public void onError(Throwable e) {
            if (isCancelled()) {
                Operators.onErrorDropped(e, currentContext());
            } else {
                generally(sender.continued(Mono.error(e), candidates, envelope, content));
            }
        }

        /** A transaction cancelled under its stale-session retry ends empty: so does the send. */
        @Override
        public void onComplete() {
            if (!reported && !isCancelled()) {
                actual.onComplete();
            }
        }

        @Override
        public void cancel() {
            super.cancel();
            Subscription s = current;
            if (s != null) {
                s.cancel();
            }
            // Given back once, whoever holds it (the transaction gives back the same permit).
            releasePermit();
        }
    }

    /** The first candidate's session. */
    private static final class Acquiring implements CoreSubscriber<PooledRef<PooledSession>> {
        private final Run run;
        private boolean got;

        Acquiring(Run run) {
            this.run = run;
        }

        @Override
        public Context currentContext() {
            return run.actual().currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            run.current = s;
            Forward.take(s, run);
        }

        @Override
        public void onNext(PooledRef<PooledSession> ref) {
            got = true;
            if (run.isCancelled()) {
                // Cancelled while it was handed over: straight back to the pool.
                BudgetRef.settle(ref, ref.poolable().session().isReusable(), null);
                return;
            }
            run.acquired(ref);
        }

        @Override
        public void onError(Throwable e) {
            if (run.isCancelled()) {
                run.releasePermit();
                Operators.onErrorDropped(e, run.currentContext());
                return;
            }
            run.acquireFailed(e);
        }

        @Override
        public void onComplete() {
            if (!got && !run.isCancelled()) {
                run.acquireFailed(new IllegalStateException("the pool completed without a session"));
            }
        }
    }
}
