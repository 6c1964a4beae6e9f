package io.reactivesmtp;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Where OAuth 2.0 bearer tokens for XOAUTH2 and OAUTHBEARER come from. The session asks for a token each time it
 * authenticates and tells the provider about a token the server refused, then asks once more:
 *
 * <pre>{@code
 * TokenProvider tokens = TokenProvider.cached(() -> oauthClient.fetchAccessToken()); // CompletionStage<String>
 * SmtpSessionOptions options = SmtpSessionOptions.builder()
 *         .credentials(Credentials.oauth2("alice@example.com", tokens))
 *         .build();
 * }</pre>
 *
 * <p>Implementations must be thread-safe and must not block: {@link #token()} is called on event-loop threads and
 * returns a stage that completes later. Tokens are secrets: never log them or put them in an exception message.
 */
public interface TokenProvider {

    /**
     * A current token. Concurrent callers should share one fetch (see {@link #cached}).
     *
     * @return completes with the bare access token (no {@code "Bearer "} prefix), or fails when none can be had
     */
    CompletionStage<String> token();

    /**
     * The server refused {@code token}: the next {@link #token()} must not return it. Called on an event-loop
     * thread; must not block. Invalidating a token that is no longer the current one does nothing, so two sessions
     * refused with the same token cause one refresh, not two.
     *
     * @param token the refused token
     */
    void invalidate(String token);

    /**
     * A provider that keeps the token {@code fetch} gives until it is invalidated, and fetches again only then:
     * concurrent requests while a fetch is running share that fetch (single flight). A failed fetch is not kept:
     * the callers waiting for it fail, the next request fetches again.
     *
     * @param fetch gets a fresh token from the authorization server (for example a refresh-token grant); called on
     *     an event-loop thread, so it must start its work asynchronously
     * @return the caching provider
     */
    static TokenProvider cached(Supplier<? extends CompletionStage<String>> fetch) {
        return new CachingTokenProvider(Objects.requireNonNull(fetch, "fetch"), null);
    }

    /**
     * Like {@link #cached(Supplier)}, and a token is also fetched again once it is {@code maxAge} old, before the
     * server refuses it (access tokens commonly live an hour: a little less is a good value).
     *
     * @param fetch gets a fresh token
     * @param maxAge how long a token is used at most; positive
     * @return the caching provider
     */
    static TokenProvider cached(Supplier<? extends CompletionStage<String>> fetch, Duration maxAge) {
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("token maxAge must be positive, got " + maxAge);
        }
        return new CachingTokenProvider(Objects.requireNonNull(fetch, "fetch"), maxAge);
    }

    /**
     * A provider that calls {@code supplier} for every token and keeps nothing ({@link #invalidate} does nothing):
     * the behaviour of {@link Credentials#oauth2(String, Supplier)}.
     *
     * @param supplier gives a token per call
     * @return the provider
     */
    static TokenProvider uncached(Supplier<? extends CompletionStage<String>> supplier) {
        Objects.requireNonNull(supplier, "supplier");
        return new TokenProvider() {
            @Override
            public CompletionStage<String> token() {
                return supplier.get();
            }

            @Override
            public void invalidate(String token) {
                // Nothing kept, nothing to forget: the next call asks the supplier again.
            }

            @Override
            public String toString() {
                return "TokenProvider.uncached";
            }
        };
    }
}
