package io.reactivesmtp.internal.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bridges pull (next) to Reactive Streams push: each next() requests one element. Calls to request and
 * cancel are serialised through a small drain loop (rule 2.7), which also stops request from recursing
 * when the publisher answers synchronously (rule 3.3). Delivery state is guarded by a lock; callbacks to
 * the receiver always run outside it.
 */
public final class PublisherSource implements ContentSource, Flow.Subscriber<ByteBuf> {
    private static final Object COMPLETE = new Object();

    private final Flow.Publisher<? extends ByteBuf> publisher;
    private final Object lock = new Object();
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicLong requested = new AtomicLong();
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelRequested;
    private boolean cancelled; // only touched inside the drain loop

    // Guarded by lock.
    private ContentReceiver waiting;
    private Object terminal; // COMPLETE or a Throwable, once the publisher has ended
    private boolean closed;

    /** @param publisher subscribed at the first {@code next}, once */
    public PublisherSource(Flow.Publisher<? extends ByteBuf> publisher) {
        this.publisher = publisher;
    }

    @Override
    public void next(ByteBufAllocator alloc, ContentReceiver receiver) {
        Object end;
        boolean isClosed;
        synchronized (lock) {
            isClosed = closed;
            end = terminal;
            if (!isClosed && end == null) {
                waiting = receiver;
            }
        }
        if (isClosed) {
            Sources.rejectClosed(receiver);
            return;
        }
        if (end != null) {
            deliverTerminal(receiver, end);
            return;
        }
        requested.incrementAndGet();
        if (subscribed.compareAndSet(false, true)) {
            try {
                publisher.subscribe(this);
            } catch (RuntimeException e) {
                // Rule 1.9 forbids this, but a broken publisher must not leave the send hanging.
                onError(e);
                return;
            }
        }
        drain();
    }

    @Override
    public void close() {
        boolean ended;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            waiting = null;
            ended = terminal != null;
        }
        if (!ended) {
            // Rule 2.4: after onComplete/onError the subscription is already over; nothing to cancel.
            cancelRequested = true;
            drain();
        }
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        Objects.requireNonNull(s, "subscription");
        if (subscription != null) {
            s.cancel(); // rule 2.5: one active subscription
            return;
        }
        subscription = s;
        drain();
    }

    @Override
    public void onNext(ByteBuf chunk) {
        if (chunk == null) {
            fail(new NullPointerException("the content publisher emitted null"));
            throw new NullPointerException("onNext(null)"); // rule 2.13
        }
        ContentReceiver receiver;
        boolean drop;
        synchronized (lock) {
            receiver = waiting;
            waiting = null;
            drop = closed || terminal != null;
        }
        if (drop) {
            chunk.release();
            return;
        }
        if (receiver == null) {
            chunk.release();
            fail(new IllegalStateException("the content publisher emitted more buffers than requested"));
            return;
        }
        receiver.onChunk(chunk);
    }

    @Override
    public void onError(Throwable error) {
        Objects.requireNonNull(error, "error");
        terminate(error);
    }

    @Override
    public void onComplete() {
        terminate(COMPLETE);
    }

    /** Ends the stream on our side because the publisher broke the rules; it is cancelled. */
    private void fail(Throwable error) {
        cancelRequested = true;
        drain();
        terminate(error);
    }

    private void terminate(Object end) {
        ContentReceiver receiver;
        synchronized (lock) {
            if (terminal != null || closed) {
                return;
            }
            terminal = end;
            receiver = waiting;
            waiting = null;
        }
        if (receiver != null) {
            deliverTerminal(receiver, end);
        }
    }

    private static void deliverTerminal(ContentReceiver receiver, Object end) {
        if (end == COMPLETE) {
            receiver.onEnd();
        } else {
            receiver.onError((Throwable) end);
        }
    }

    /** Serialises request/cancel; whoever increments wip from 0 does the work others asked for. */
    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        do {
            Flow.Subscription s = subscription;
            if (s != null && !cancelled) {
                if (cancelRequested) {
                    cancelled = true;
                    requested.set(0);
                    s.cancel();
                } else {
                    long n = requested.getAndSet(0);
                    if (n > 0) {
                        s.request(n);
                    }
                }
            }
        } while (wip.decrementAndGet() != 0);
    }
}
