package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link TokenProvider#cached}: single flight, invalidation of the current token only, failures not kept. */
class TokenProviderTest {

    private final AtomicInteger fetches = new AtomicInteger();

    private CompletionStage<String> fetch() {
        return CompletableFuture.completedFuture("tok-" + fetches.incrementAndGet());
    }

    private static String get(TokenProvider p) throws Exception {
        return p.token().toCompletableFuture().get();
    }

    @Test
    void concurrentRequestsShareTheRunningFetch() throws Exception {
        CompletableFuture<String> pending = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        TokenProvider p = TokenProvider.cached(() -> {
            calls.incrementAndGet();
            return pending;
        });
        CompletableFuture<String> a = p.token().toCompletableFuture();
        CompletableFuture<String> b = p.token().toCompletableFuture();
        assertThat(a).isNotDone();
        pending.complete("tok");
        assertThat(a.get()).isEqualTo("tok");
        assertThat(b.get()).isEqualTo("tok");
        assertThat(calls).hasValue(1);
    }

    @Test
    void onlyTheCurrentTokenIsInvalidated() throws Exception {
        TokenProvider p = TokenProvider.cached(this::fetch);
        assertThat(get(p)).isEqualTo("tok-1");
        p.invalidate("tok-1");
        assertThat(get(p)).isEqualTo("tok-2");
        p.invalidate("tok-1"); // a late refusal of the old token keeps the fresh one
        assertThat(get(p)).isEqualTo("tok-2");
        assertThat(fetches).hasValue(2);
    }

    @Test
    void aFailedFetchIsNotKept() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        TokenProvider p = TokenProvider.cached(() -> calls.incrementAndGet() == 1
                ? CompletableFuture.failedFuture(new IllegalStateException("down"))
                : CompletableFuture.completedFuture("tok"));
        Throwable error = catchThrowable(() -> get(p));
        assertThat(error).isInstanceOf(ExecutionException.class).hasRootCauseMessage("down");
        assertThat(get(p)).isEqualTo("tok");
    }

    @Test
    void anEmptyTokenOrAThrowingFetchIsAFailure() {
        assertThat(catchThrowable(() -> get(TokenProvider.cached(() -> CompletableFuture.completedFuture("")))))
                .hasRootCauseMessage("the token fetch gave no token");
        assertThat(catchThrowable(() -> get(TokenProvider.cached(() -> {
            throw new IllegalStateException("boom");
        })))).hasRootCauseMessage("boom");
    }

    @Test
    void aTokenOlderThanMaxAgeIsFetchedAgain() throws Exception {
        TokenProvider p = TokenProvider.cached(this::fetch, Duration.ofNanos(1));
        assertThat(get(p)).isEqualTo("tok-1");
        long deadline = System.nanoTime() + 5_000_000_000L;
        String next = get(p);
        while (next.equals("tok-1") && System.nanoTime() < deadline) {
            next = get(p);
        }
        assertThat(next).isNotEqualTo("tok-1");
        TokenProvider hourly = TokenProvider.cached(this::fetch, Duration.ofHours(1));
        assertThat(get(hourly)).isEqualTo(get(hourly));
    }

    @Test
    void maxAgeMustBePositive() {
        assertThatIllegalArgumentException().isThrownBy(() -> TokenProvider.cached(this::fetch, Duration.ZERO))
                .withMessageContaining("maxAge");
    }

    @Test
    void uncachedAsksEveryTime() throws Exception {
        TokenProvider p = TokenProvider.uncached(this::fetch);
        assertThat(get(p)).isEqualTo("tok-1");
        p.invalidate("tok-1");
        assertThat(get(p)).isEqualTo("tok-2");
        assertThat(get(p)).isEqualTo("tok-3");
    }
}
