package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.reactor.MessageResult;
import io.reactivesmtp.reactor.OutgoingMessage;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Supplier;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * sendAll's two steps around each message when retries or instrumentation stand between them (the common case is
 * {@link SendMerge}), as operators of their own (as {@code defer}, {@code doFinally}, {@code map} and
 * {@code onErrorResume} they were four):
 * {@link #underSlot} makes the send when subscribed and gives the message's {@link Admission} slot back however it
 * ends, a send that could not even be made included; {@link #result} turns its report, or its failure, into the
 * message's {@link MessageResult}.
 */
public final class SlotSend {

    private SlotSend() {
    }

    /**
     * @param send makes the send (may throw: a message refused before anything was sent)
     * @param admission the gate whose slot the message holds
     * @return the send, made when subscribed; the slot goes back after its last signal, or when it is cancelled
     */
    public static Mono<SendReport> underSlot(Supplier<Mono<SendReport>> send, Admission admission) {
        return new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super SendReport> actual) {
                Mono<SendReport> source;
                try {
                    source = send.get();
                } catch (Throwable e) {
                    Operators.error(actual, Operators.onOperatorError(e, actual.currentContext()));
                    admission.release();
                    return;
                }
                source.subscribe(new Releasing(actual, admission));
            }
        };
    }

    /**
     * @param message the message
     * @param send its send
     * @return its result: delivered (or not) by the report, or failed with the send's error
     */
    public static Mono<MessageResult> result(OutgoingMessage message, Mono<SendReport> send) {
        return new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super MessageResult> actual) {
                send.subscribe(new ToResult(actual, message));
            }
        };
    }

    /** An error that is not the server's doing (a disposed client, a bug): nothing was sent for the message. */
    static SmtpException asSmtpException(Throwable e) {
        if (e instanceof SmtpException) {
            return (SmtpException) e;
        }
        return new SmtpConnectionException("message not sent: " + e, e, null);
    }

    /** Passes every signal on, then gives the slot back (once). */
    private static final class Releasing extends Passing<SendReport, SendReport> {
        private static final AtomicIntegerFieldUpdater<Releasing> RELEASED =
                AtomicIntegerFieldUpdater.newUpdater(Releasing.class, "released");

        private final Admission admission;
        private volatile int released;

        Releasing(CoreSubscriber<? super SendReport> actual, Admission admission) {
            super(actual);
            this.admission = admission;
        }

        private void release() {
            if (RELEASED.compareAndSet(this, 0, 1)) {
                admission.release();
            }
        }

        @Override
        public void onNext(SendReport report) {
            actual.onNext(report);
        }

        @Override
        public void onError(Throwable e) {
            actual.onError(e);
            release();
        }

        @Override
        public void onComplete() {
            actual.onComplete();
            release();
        }

        @Override
        public void cancel() {
            upstream.cancel();
            release();
        }
    }

    /** The report, or the failure, as the message's result; then complete. */
    private static final class ToResult extends Passing<SendReport, MessageResult> {
        private final OutgoingMessage message;

        ToResult(CoreSubscriber<? super MessageResult> actual, OutgoingMessage message) {
            super(actual);
            this.message = message;
        }

        @Override
        public void onNext(SendReport report) {
            if (!first(null)) {
                return;
            }
            actual.onNext(MessageResult.of(message, report));
            actual.onComplete();
        }

        @Override
        public void onError(Throwable e) {
            if (first(e)) {
                actual.onNext(MessageResult.failed(message, asSmtpException(e)));
                actual.onComplete();
            }
        }
    }
}
