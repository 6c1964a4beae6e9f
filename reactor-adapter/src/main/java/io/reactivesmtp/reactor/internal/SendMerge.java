package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.reactor.MessageResult;
import io.reactivesmtp.reactor.OutgoingMessage;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;
import reactor.util.context.Context;

/**
 * sendAll's common case (no retries, no instrumentation) in one operator: what {@code Admission.gate(messages)
 * .flatMap(m -> SlotSend.resultUnderSlot(m, ...), slots, 1)} did, with the same signals, in less code per message
 * and far less for the JIT to compile (the flatMap's drain loop, which inlined the whole send path behind its
 * replenishing request, was the largest compilation of a cold run, twice).
 *
 * <ul>
 * <li>A message is requested only while fewer than {@code slots} requested messages have not had their result
 *     emitted downstream: a slot is held from the request of a message to the emission of its result, so a slow
 *     subscriber holds the input back.</li>
 * <li>Each message's send is made when it arrives ({@code start} may throw: a message refused before anything was
 *     sent) and its report, or its failure, becomes its {@link MessageResult}; results are emitted in completion
 *     order, as far as the subscriber requested.</li>
 * <li>The input's error cancels the sends under way, drops the results not yet emitted, and is passed on at once
 *     (as flatMap without delayError). Its completion completes the output once every send ended and its result
 *     was emitted. A cancel cancels the input and every send under way.</li>
 * </ul>
 */
public final class SendMerge extends Flux<MessageResult> {

    private final Publisher<OutgoingMessage> messages;
    private final int slots;
    private final Function<OutgoingMessage, Mono<SendReport>> start;

    /**
     * @param messages the input
     * @param slots how many messages may be held at once (requested and their result not yet emitted); positive
     * @param start makes a message's send (may throw)
     */
    public SendMerge(Publisher<OutgoingMessage> messages, int slots, Function<OutgoingMessage, Mono<SendReport>> start) {
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be positive, not " + slots);
        }
        this.messages = Objects.requireNonNull(messages, "messages");
        this.slots = slots;
        this.start = Objects.requireNonNull(start, "start");
    }

    @Override
    public void subscribe(CoreSubscriber<? super MessageResult> actual) {
        Flux.from(messages).subscribe(new Merge(actual, slots, start));
    }

    /** The subscriber of the input and the subscription of the output. */
    static final class Merge implements CoreSubscriber<OutgoingMessage>, Subscription {
        private static final AtomicIntegerFieldUpdater<Merge> WIP =
                AtomicIntegerFieldUpdater.newUpdater(Merge.class, "wip");
        private static final AtomicLongFieldUpdater<Merge> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(Merge.class, "requested");
        private static final AtomicIntegerFieldUpdater<Merge> EMPTY =
                AtomicIntegerFieldUpdater.newUpdater(Merge.class, "empty");

        private final CoreSubscriber<? super MessageResult> actual;
        private final int slots;
        private final Function<OutgoingMessage, Mono<SendReport>> start;
        /** Results not yet emitted; offered by the sends' threads, polled by the drain loop. */
        private final Queue<MessageResult> results = Queues.<MessageResult>unboundedMultiproducer().get();
        private Subscription upstream;
        private volatile int wip;
        private volatile long requested;
        /** Sends that completed without a report (none is expected): their slots, for the drain loop to free. */
        private volatile int empty;
        private volatile boolean done;
        private volatile Throwable error;
        private volatile boolean cancelled;
        /** Drain loop only: messages requested whose result was not emitted yet. */
        private long held;
        /** Drain loop only: a terminal signal went downstream. */
        private boolean terminated;
        /** The sends under way, a list through their own links (guarded by this); null when none is. */
        private Inner head;

        Merge(CoreSubscriber<? super MessageResult> actual, int slots,
                Function<OutgoingMessage, Mono<SendReport>> start) {
            this.actual = actual;
            this.slots = slots;
            this.start = start;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
                drain();
            }
        }

        @Override
        public void onNext(OutgoingMessage m) {
            if (done || cancelled) {
                Operators.onNextDropped(m, actual.currentContext());
                return;
            }
            Mono<SendReport> send;
            try {
                send = Objects.requireNonNull(start.apply(m), "the send of a message is null");
            } catch (Throwable e) {
                send = Mono.error(e);
            }
            Inner inner = new Inner(this, m);
            if (!add(inner)) {
                return; // cancelled meanwhile: nothing is started
            }
            send.subscribe(inner);
        }

        @Override
        public void onError(Throwable e) {
            if (done) {
                Operators.onErrorDropped(e, actual.currentContext());
                return;
            }
            error = e;
            done = true;
            drain();
        }

        @Override
        public void onComplete() {
            if (!done) {
                done = true;
                drain();
            }
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                Operators.addCap(REQUESTED, this, n);
                drain();
            }
        }

        @Override
        public void cancel() {
            if (cancelled) {
                return;
            }
            cancelled = true;
            upstream.cancel();
            cancelSends();
            if (WIP.getAndIncrement(this) == 0) {
                results.clear();
            }
        }

        private synchronized boolean add(Inner inner) {
            if (cancelled) {
                return false;
            }
            inner.next = head;
            if (head != null) {
                head.prev = inner;
            }
            head = inner;
            return true;
        }

        private synchronized void remove(Inner inner) {
            if (inner.removed) {
                return;
            }
            inner.removed = true;
            if (inner.prev != null) {
                inner.prev.next = inner.next;
            } else {
                head = inner.next;
            }
            if (inner.next != null) {
                inner.next.prev = inner.prev;
            }
            inner.prev = null;
            inner.next = null;
        }

        private synchronized boolean idle() {
            return head == null;
        }

        private void cancelSends() {
            Inner list;
            synchronized (this) {
                list = head;
                head = null;
                for (Inner i = list; i != null; i = i.next) {
                    i.removed = true;
                }
            }
            for (Inner i = list; i != null; ) {
                Inner next = i.next;
                i.prev = null;
                i.next = null;
                i.cancel();
                i = next;
            }
        }

        /** A send ended: its result (or null: it had none) is queued, and the drain loop runs. */
        void ended(Inner inner, MessageResult result) {
            if (result != null) {
                results.offer(result);
            } else {
                EMPTY.incrementAndGet(this);
            }
            remove(inner);
            drain();
        }

        /** Emits results as far as requested, ends the output when it is time, and requests messages for free slots. */
        private void drain() {
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            for (;;) {
                if (terminated) {
                    results.clear();
                    return;
                }
                long r = requested;
                long e = 0;
                for (;;) {
                    if (cancelled) {
                        results.clear();
                        return;
                    }
                    boolean d = done;
                    Throwable ex = error;
                    if (ex != null) {
                        terminated = true;
                        cancelSends();
                        results.clear();
                        actual.onError(ex);
                        return;
                    }
                    MessageResult v = e != r ? results.poll() : null;
                    if (v == null) {
                        if (d && idle() && results.isEmpty()) {
                            terminated = true;
                            actual.onComplete();
                            return;
                        }
                        break;
                    }
                    actual.onNext(v);
                    e++;
                }
                if (e != 0 && r != Long.MAX_VALUE) {
                    REQUESTED.addAndGet(this, -e);
                }
                held -= e + EMPTY.getAndSet(this, 0);
                if (!done && !cancelled && held < slots) {
                    long n = slots - held;
                    held = slots;
                    upstream.request(n);
                }
                missed = WIP.addAndGet(this, -missed);
                if (missed == 0) {
                    return;
                }
            }
        }
    }

    /** One message's send: its report, or its failure, becomes the message's result. */
    static final class Inner implements CoreSubscriber<SendReport> {
        private final Merge parent;
        private final OutgoingMessage message;
        private volatile Subscription subscription;
        private boolean finished;
        /** Links of the parent's list of sends under way (guarded by the parent). */
        Inner prev;
        Inner next;
        boolean removed;
        private volatile boolean cancelled;

        Inner(Merge parent, OutgoingMessage message) {
            this.parent = parent;
            this.message = message;
        }

        @Override
        public Context currentContext() {
            return parent.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (subscription != null) {
                s.cancel();
                return;
            }
            subscription = s;
            if (cancelled) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(SendReport report) {
            if (finished) {
                return;
            }
            finished = true;
            parent.ended(this, MessageResult.of(message, report));
        }

        @Override
        public void onError(Throwable e) {
            if (finished) {
                Operators.onErrorDropped(e, currentContext());
                return;
            }
            finished = true;
            parent.ended(this, MessageResult.failed(message, SlotSend.asSmtpException(e)));
        }

        @Override
        public void onComplete() {
            if (!finished) {
                finished = true;
                parent.ended(this, null);
            }
        }

        void cancel() {
            cancelled = true;
            Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
    }
}
