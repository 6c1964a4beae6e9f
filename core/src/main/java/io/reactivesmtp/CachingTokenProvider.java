package io.reactivesmtp;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * {@link TokenProvider#cached}: one token shared by every session until it is refused or too old, one fetch at a
 * time (single flight). Lock-free: the current fetch is one {@link CompletableFuture} swapped in by compare-and-set,
 * so the thread that wins the swap starts the fetch and everyone else waits on the same future.
 */
final class CachingTokenProvider implements TokenProvider {

    private final Supplier<? extends CompletionStage<String>> fetch;
    private final long maxAgeNanos;
    private final AtomicReference<Entry> current = new AtomicReference<>();

    CachingTokenProvider(Supplier<? extends CompletionStage<String>> fetch, Duration maxAge) {
        this.fetch = fetch;
        this.maxAgeNanos = maxAge == null ? Long.MAX_VALUE : maxAge.toNanos();
    }

    @Override
    public CompletionStage<String> token() {
        while (true) {
            Entry entry = current.get();
            if (entry != null && usable(entry)) {
                return entry.future.minimalCompletionStage();
            }
            Entry next = new Entry(new CompletableFuture<>());
            if (current.compareAndSet(entry, next)) {
                start(next);
                return next.future.minimalCompletionStage();
            }
            // Another caller swapped first: take its entry on the next turn (bounded by the callers racing).
        }
    }

    /** Still running, or done with a token younger than the max age. A failed fetch is never reused. */
    private boolean usable(Entry entry) {
        CompletableFuture<String> f = entry.future;
        if (!f.isDone()) {
            return true;
        }
        if (f.isCompletedExceptionally()) {
            return false;
        }
        return maxAgeNanos == Long.MAX_VALUE || System.nanoTime() - entry.fetchedAt < maxAgeNanos;
    }

    private void start(Entry entry) {
        CompletionStage<String> stage;
        try {
            stage = fetch.get();
        } catch (RuntimeException e) {
            entry.future.completeExceptionally(e);
            return;
        }
        if (stage == null) {
            entry.future.completeExceptionally(new IllegalStateException("the token fetch returned no stage"));
            return;
        }
        stage.whenComplete((token, error) -> {
            if (error != null) {
                entry.future.completeExceptionally(error);
            } else if (token == null || token.isEmpty()) {
                entry.future.completeExceptionally(new IllegalStateException("the token fetch gave no token"));
            } else {
                entry.fetchedAt = System.nanoTime();
                entry.future.complete(token);
            }
        });
    }

    @Override
    public void invalidate(String token) {
        Entry entry = current.get();
        // Only the refused token is forgotten: a session refused with a token already replaced must not throw
        // away the fresh one (that would be one refresh per refused session instead of one in all).
        if (entry != null && entry.future.isDone() && !entry.future.isCompletedExceptionally()
                && entry.future.join().equals(token)) {
            current.compareAndSet(entry, null);
        }
    }

    @Override
    public String toString() {
        return "TokenProvider.cached" + (maxAgeNanos == Long.MAX_VALUE ? "" : "(maxAge=" + Duration.ofNanos(maxAgeNanos) + ")");
    }

    private static final class Entry {
        final CompletableFuture<String> future;
        /** Set before the future completes, read after it completed: the future's completion orders the two. */
        volatile long fetchedAt;

        Entry(CompletableFuture<String> future) {
            this.future = future;
        }
    }
}
