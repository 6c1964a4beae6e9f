package io.reactivesmtp.reactor.internal;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * A non-blocking counting semaphore per key: at most {@code permitsPerKey} permits of one key out at once,
 * waiters served in FIFO order, at most {@code maxWaiters} waiting over all keys. Used for the client's overall
 * connection bound and for sendAll's in-flight bound per destination.
 *
 * <p>A plain lock guards the state: critical sections are a few field updates, never I/O, so they are safe on
 * an event loop; sinks are completed outside the lock.
 */
public final class KeyedPermits {

    private final int permitsPerKey;
    private final int maxWaiters;
    private final Function<Object, RuntimeException> overflow;
    /** Guarded by {@code this}; a key without permits out and without waiters is removed. */
    private final Map<Object, State> states = new HashMap<>();
    /** Guarded by {@code this}; read without the lock as a hint. */
    private volatile int waiters;

    /**
     * @param permitsPerKey permits of one key out at once
     * @param maxWaiters waiters over all keys before {@link #acquire} fails
     * @param overflow the error for an acquire beyond {@code maxWaiters}, given the key
     */
    public KeyedPermits(int permitsPerKey, int maxWaiters, Function<Object, RuntimeException> overflow) {
        this.permitsPerKey = permitsPerKey;
        this.maxWaiters = maxWaiters;
        this.overflow = overflow;
    }

    /**
     * @param key what the permit is for
     * @return a permit once one is free; release it exactly once (more releases are ignored)
     */
    public Mono<Permit> acquire(Object key) {
        return Mono.<Permit>create(sink -> {
            Permit granted = null;
            Waiter waiter = null;
            synchronized (this) {
                State s = states.computeIfAbsent(key, k -> new State());
                if (s.inUse < permitsPerKey) {
                    s.inUse++;
                    granted = new Permit(key);
                } else if (waiters < maxWaiters) {
                    waiter = new Waiter(sink);
                    s.queue().add(waiter);
                    waiters++;
                } else if (s.inUse == 0 && s.noWaiters()) {
                    states.remove(key);
                }
            }
            if (granted != null) {
                sink.success(granted);
            } else if (waiter != null) {
                Waiter w = waiter;
                sink.onCancel(() -> cancel(key, w));
            } else {
                sink.error(overflow.apply(key));
            }
        })
        // A permit granted to a subscriber that was cancelled meanwhile goes back at once.
        .doOnDiscard(Permit.class, Permit::release);
    }

    /**
     * @param key what the permit is for
     * @return a permit if one of this key is free now and nobody waits for one, else null
     */
    public Permit tryAcquire(Object key) {
        synchronized (this) {
            State s = states.get(key);
            if (s == null) {
                states.put(key, s = new State());
            } else if (s.inUse >= permitsPerKey || !s.noWaiters()) {
                return null;
            }
            s.inUse++;
            return new Permit(key);
        }
    }

    /** @return true when someone waits for a permit (a hint: read without the lock) */
    public boolean hasWaiters() {
        return waiters > 0;
    }

    /**
     * @param key what the permits are for
     * @return how many permits of this key are out
     */
    public synchronized int inUse(Object key) {
        State s = states.get(key);
        return s == null ? 0 : s.inUse;
    }

    /** @return how many wait for a permit, over all keys (a hint: read without the lock) */
    public int waiters() {
        return waiters;
    }

    private void cancel(Object key, Waiter w) {
        synchronized (this) {
            State s = states.get(key);
            if (s != null && s.waiting != null && s.waiting.remove(w)) {
                waiters--;
                if (s.inUse == 0 && s.noWaiters()) {
                    states.remove(key);
                }
            }
        }
    }

    private void release(Object key) {
        Waiter next;
        synchronized (this) {
            State s = states.get(key);
            if (s == null) {
                return;
            }
            next = s.waiting == null ? null : s.waiting.poll();
            if (next != null) {
                waiters--;
            } else {
                s.inUse--;
                if (s.inUse <= 0) {
                    states.remove(key);
                }
            }
        }
        if (next != null) {
            // The permit passes straight to the next waiter: inUse stays as it is.
            next.sink.success(new Permit(key));
        }
    }

    /** One permit; {@link #release()} gives it back (once, further calls do nothing). */
    public final class Permit {
        private final Object key;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(Object key) {
            this.key = key;
        }

        /** Gives the permit back, or hands it to the next waiter. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                KeyedPermits.this.release(key);
            }
        }
    }

    private static final class State {
        int inUse;
        /**
         * Made for the first waiter: a key's state comes and goes with its permits (sendAll's per-domain bound over
         * many domains makes one per message), and most never has a waiter.
         */
        ArrayDeque<Waiter> waiting;

        ArrayDeque<Waiter> queue() {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            return waiting;
        }

        boolean noWaiters() {
            return waiting == null || waiting.isEmpty();
        }
    }

    private static final class Waiter {
        final MonoSink<Permit> sink;

        Waiter(MonoSink<Permit> sink) {
            this.sink = sink;
        }
    }
}
