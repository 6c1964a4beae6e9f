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
 * <p>A site without room now (or with a rate, or not known yet) makes the send wait for a place
 * ({@link Sender#place}), then go the same way: while pacing's limit grows towards the number of sends under way,
 * that is every send past the limit, thousands of them in a run's first seconds.
 *
 * <p>Each turn off that path is handed to the general steps of {@link Sender}, with what happened so far, so the
 * rest goes exactly as there: a place not had in time goes to {@link Sender#placeFailed}; a session that could not
 * be had goes to {@link Sender#acquireFailed} (the other candidates, pacing's requeue); a report refused at MAIL or a
 * failure goes to {@link Sender#continued}; recipients put off go to {@link Sender#followUp}.
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
        String waitAt = null;
        if (pacing != null) {
            String site = sender.site(key);
            permit = pacing.tryAcquire(site);
            waitAt = permit == null ? site : null;
        }
        Run run = new Run(actual, permit);
        actual.onSubscribe(run);
        if (run.isCancelled()) {
            run.releasePermit();
            return;
        }
        if (waitAt != null) {
            // No room now: wait for a place (bounded), then the same way.
            sender.place(waitAt).subscribe(new Waiting(run, waitAt));
            return;
        }
        sender.pools().acquire(key).subscribe(new Acquiring(run));
    }

    /** One subscription: takes the transaction's outcome, and hands any other turn to the general steps. */
    private final class Run extends Operators.MonoSubscriber<SendReport, SendReport> {
        /** The pacing place, once had (null with pacing off); given back once, whoever gives it back. */
        private volatile AdaptivePacing.Permit permit;
        /** What runs now: the acquire, the transaction, or the general steps. */
        private volatile Subscription current;
        private boolean reported;

        Run(CoreSubscriber<? super SendReport> actual, AdaptivePacing.Permit permit) {
            super(actual);
            this.permit = permit;
        }

        void releasePermit() {
            AdaptivePacing.Permit p = permit;
            if (p != null) {
                p.release();
            }
        }

        /** The place waited for: now the session, as for a place had at once. */
        void placed(AdaptivePacing.Permit p) {
            permit = p;
            if (isCancelled()) {
                // Cancelled while it was handed over: back at once (a cancel that saw it gives it back too, once).
                p.release();
                return;
            }
            sender.pools().acquire(candidates.get(0)).subscribe(new Acquiring(this));
        }

        void placeFailed(String site, Throwable e) {
            generally(sender.continued(sender.placeFailed(candidates, envelope, content, site, e),
                    candidates, envelope, content));
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

    /**
     * A step of a run before its transaction: takes the one value (or failure) of what it subscribed to and hands it
     * to the run; a step that completes empty fails with {@code emptyMessage}.
     */
    private abstract static class Step<T> implements CoreSubscriber<T> {
        final Run run;
        private final String emptyMessage;
        private boolean got;

        Step(Run run, String emptyMessage) {
            this.run = run;
            this.emptyMessage = emptyMessage;
        }

        /** The value, the run perhaps cancelled meanwhile. */
        abstract void next(T value);

        /** The failure of a run not cancelled. */
        abstract void failed(Throwable e);

        /** The failure of a run cancelled meanwhile, before it is dropped. */
        void failedCancelled() {
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
        public void onNext(T value) {
            got = true;
            next(value);
        }

        @Override
        public void onError(Throwable e) {
            if (run.isCancelled()) {
                failedCancelled();
                Operators.onErrorDropped(e, run.currentContext());
                return;
            }
            failed(e);
        }

        @Override
        public void onComplete() {
            if (!got && !run.isCancelled()) {
                failed(new IllegalStateException(emptyMessage));
            }
        }
    }

    /** The wait for a place at the first candidate's site. */
    private static final class Waiting extends Step<AdaptivePacing.Permit> {
        private final String site;

        Waiting(Run run, String site) {
            super(run, "pacing completed without a place");
            this.site = site;
        }

        @Override
        void next(AdaptivePacing.Permit permit) {
            run.placed(permit);
        }

        @Override
        void failed(Throwable e) {
            run.placeFailed(site, e);
        }
    }

    /** The first candidate's session. */
    private static final class Acquiring extends Step<PooledRef<PooledSession>> {
        Acquiring(Run run) {
            super(run, "the pool completed without a session");
        }

        @Override
        void next(PooledRef<PooledSession> ref) {
            if (run.isCancelled()) {
                // Cancelled while it was handed over: straight back to the pool.
                BudgetRef.settle(ref, ref.poolable().session().isReusable(), null);
                return;
            }
            run.acquired(ref);
        }

        @Override
        void failed(Throwable e) {
            run.acquireFailed(e);
        }

        @Override
        void failedCancelled() {
            run.releasePermit();
        }
    }
}
