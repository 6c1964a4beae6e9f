package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.BiConsumer;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * One transaction on an acquired session, from the MAIL command to the report, as one operator: this runs for every
 * message, and written as a chain of Reactor operators (defer, two futures, flatMap, onErrorResume, then, map,
 * doFinally, doOnCancel) it cost about a dozen subscribers and two futures per message.
 *
 * <p>What it does, in order: starts the transaction; hands the session back to its pool as soon as it can take the
 * next message (with PIPELINING, when this message's end of data is written), and gives the pacing place back in an
 * event-loop task of its own then; at the verdict, tells the listener, hands the session back (or invalidates it
 * after a failure) and, in an event-loop task of its own ({@link #run()}), tells pacing how it ended and only then
 * emits: releasing a session may hand it to a waiting send inside the pool's drain loop and the session handler's
 * reply processing, and what the caller does next (often: acquire again) must not run nested in those. The
 * emission waits for the session's hand-back too (an invalidated one: until its connection is closed). The pacing
 * place goes back once emitted, or when cancelled. A reused session that broke before the server answered anything
 * is tried again on another session, once ({@link Sender#retryStale}).
 *
 * <p>Cancelled: before DATA the session resets the transaction and hands itself back; after DATA it closes the
 * connection; after the hand-back it already carries the next message and nothing changes.
 */
final class Transaction extends Mono<SendReport> {

    private final Sender sender;
    private final Sender.Acquired acquired;
    private final Envelope envelope;
    private final MessageContent content;
    /** The attempt's candidates, for a retry after a stale session; null when no retry may follow. */
    private final List<DestinationKey> retry;

    /**
     * @param sender the sender (its listener, pacing, limiter and pool settings)
     * @param acquired the session, its rate-limit ticket and pacing permit
     * @param envelope the transaction's envelope
     * @param content the message
     * @param retry where a stale session's message goes again, or null when it may not
     */
    Transaction(Sender sender, Sender.Acquired acquired, Envelope envelope, MessageContent content,
                List<DestinationKey> retry) {
        this.sender = sender;
        this.acquired = acquired;
        this.envelope = envelope;
        this.content = content;
        this.retry = retry;
    }

    @Override
    public void subscribe(CoreSubscriber<? super SendReport> actual) {
        new Run(actual).start();
    }

    /** One subscription's run; emits through the {@link Operators.MonoSubscriber} it is. */
    private final class Run extends Operators.MonoSubscriber<SendReport, SendReport>
            implements BiConsumer<SendReport, Throwable>, Runnable {

        private static final AtomicIntegerFieldUpdater<Run> SETTLED =
                AtomicIntegerFieldUpdater.newUpdater(Run.class, "settled");
        private static final AtomicIntegerFieldUpdater<Run> STEPS =
                AtomicIntegerFieldUpdater.newUpdater(Run.class, "steps");

        private final PooledSession pooled;
        private final Executor loop;
        private final boolean reused;
        /** 1 once the session went back to its pool (or was invalidated). */
        private volatile int settled;
        /** What is left before the outcome is emitted: the pacing task and the session's hand-back. */
        private volatile int steps = 2;
        private volatile CompletableFuture<SendReport> send;
        /** The wait for a late turn under pacing's rate ({@link AdaptivePacing.Permit#lateTurn()}), if one runs. */
        private volatile Disposable turnWait;
        /** The stale retry's subscription, once one runs. */
        private volatile Subscription fallback;
        private SendReport report;
        private Throwable error;

        Run(CoreSubscriber<? super SendReport> actual) {
            super(actual);
            this.pooled = acquired.ref.poolable();
            this.loop = pooled.session().channel().eventLoop();
            this.reused = pooled.messages() > 0;
        }

        void start() {
            actual.onSubscribe(this);
            if (isCancelled()) {
                settle(pooled.session().isReusable());
                acquired.release();
                return;
            }
            // A pacing place granted before its site asked to slow down waits for its turn under the new rate.
            Mono<Long> turn = acquired.permit == null ? null : acquired.permit.lateTurn();
            if (turn == null) {
                begin();
                return;
            }
            Disposable wait = turn.subscribe(x -> {
                if (!isCancelled()) {
                    begin();
                }
            });
            turnWait = wait;
            if (isCancelled()) {
                wait.dispose();
            }
        }

        /** The transaction starts on the session. */
        private void begin() {
            pooled.startTransaction();
            CompletableFuture<SendReport> f;
            try {
                f = pooled.session().send(envelope, content, this::handOff);
            } catch (RuntimeException e) {
                pooled.endTransaction();
                accept(null, e);
                return;
            }
            send = f;
            if (isCancelled()) {
                f.cancel(false);
            }
            f.whenComplete(this);
        }

        /**
         * The session can take the next message: back to the pool, and the pacing place back in a task of its own
         * when the session goes on (with one the pool retires, at the final reply: releasing it earlier let such
         * sessions be closed before their final reply came).
         */
        private void handOff() {
            boolean next = pooled.session().isReusable()
                    && pooled.messages() < sender.maxMessagesPerConnection();
            settle(pooled.session().isReusable());
            if (next) {
                try {
                    loop.execute(acquired::release);
                } catch (RejectedExecutionException shutDown) {
                    acquired.release();
                }
            }
        }

        /** The verdict (or failure) of the transaction. */
        @Override
        public void accept(SendReport r, Throwable e) {
            // Until its verdict (or failure) the session is in use, even once handed back for the next message.
            if (send != null) {
                pooled.endTransaction();
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            if (cause instanceof CancellationException) {
                return; // our cancel: the session's hand-off settles the ref
            }
            String destination = acquired.candidate.toString();
            if (cause == null) {
                report = r;
                sender.transactionEnded(destination, acquired, r);
            } else {
                error = cause;
                sender.transactionFailed(destination, acquired, cause);
            }
            schedule();
            // Any failure may have left the session in an unknown state: never pool it again.
            settleThenStep(cause == null && pooled.session().isReusable());
        }

        private void schedule() {
            try {
                loop.execute(this);
            } catch (RejectedExecutionException shutDown) {
                run();
            }
        }

        /** The event-loop task: pacing hears how the transaction ended, then the outcome may go. */
        @Override
        public void run() {
            sender.observed(acquired.permit, report, error);
            step();
        }

        private void settleThenStep(boolean reusable) {
            if (SETTLED.compareAndSet(this, 0, 1)) {
                BudgetRef.settle(acquired.ref, reusable, this::step);
            } else {
                step();
            }
        }

        private void settle(boolean reusable) {
            if (SETTLED.compareAndSet(this, 0, 1)) {
                BudgetRef.settle(acquired.ref, reusable, null);
            }
        }

        void step() {
            if (STEPS.decrementAndGet(this) != 0) {
                return;
            }
            if (isCancelled()) {
                acquired.release();
                return;
            }
            if (error == null) {
                // A session that goes on gave the place back at its hand-off; one that retires gives it back here,
                // before the report goes on: whoever the report frees (sendAll's next message) finds it free
                // instead of waiting in pacing's queue for a release that came right after.
                acquired.release();
                complete(Sender.withMxTls(report, acquired.candidate));
                return;
            }
            Throwable e = error;
            if (retry != null && reused && Sender.diedBeforeAnyReply(e)) {
                // The first attempt's place goes back after the retry took its own, as a doFinally after it did.
                sender.retryStale(retry, envelope, content).subscribe(new Forward(this, s -> fallback = s));
                acquired.release();
                return;
            }
            acquired.release();
            actual.onError(e);
        }

        @Override
        public void cancel() {
            super.cancel();
            Disposable w = turnWait;
            if (w != null) {
                w.dispose();
            }
            Subscription s = fallback;
            if (s != null) {
                s.cancel();
                return;
            }
            CompletableFuture<SendReport> f = send;
            if (f != null) {
                f.cancel(false);
            } else {
                settle(pooled.session().isReusable());
            }
            acquired.release();
        }
    }
}
