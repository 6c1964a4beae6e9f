package io.reactivesmtp.reactor.internal.mtasts;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.ReadTimeoutException;
import io.reactivesmtp.internal.SafeText;
import io.reactivesmtp.reactor.mtasts.MtaStsFailure;
import io.reactivesmtp.reactor.mtasts.MtaStsFailure.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * Fetches the text of an MTA-STS policy (RFC 8461 3.3): {@code GET https://mta-sts.<domain>/.well-known/mta-sts.txt}
 * with the certificate verified against {@code mta-sts.<domain>}, no redirect followed, no HTTP cache, status 200
 * and {@code text/plain} required, at most {@link #MAX_POLICY_BYTES} read, the whole fetch bounded in time.
 * Every failure is a {@link FetchFailed} carrying a typed {@link MtaStsFailure}. Internal: not part of the API.
 */
public final class PolicyFetcher {

    /** The size bound of RFC 8461 3.3: 64 KiB. */
    public static final int MAX_POLICY_BYTES = 64 * 1024;

    private final HttpClient client;
    private final int port;
    private final Duration timeout;

    /**
     * @param base the HTTP client to start from (event loops, address resolver)
     * @param sslContext the client TLS context; its trust decides which certificates are valid
     * @param port the policy host's port: 443, or a test server's
     * @param timeout the bound on the whole fetch: connect, handshake, response and body
     */
    public PolicyFetcher(HttpClient base, SslContext sslContext, int port, Duration timeout) {
        // followRedirect(false) is reactor-netty's default; set anyway, RFC 8461 3.3 forbids following.
        this.client = base.secure(spec -> spec.sslContext(sslContext))
                .followRedirect(false)
                .responseTimeout(timeout);
        this.port = port;
        this.timeout = timeout;
    }

    /**
     * @param domain the canonical policy domain
     * @return a cold Mono of the policy's text; errors with {@link FetchFailed}
     */
    public Mono<String> fetch(String domain) {
        String url = "https://mta-sts." + domain + (port == 443 ? "" : ":" + port) + "/.well-known/mta-sts.txt";
        return client.get().uri(url).response((response, body) -> {
            HttpResponseStatus status = response.status();
            if (status.code() >= 300 && status.code() < 400) {
                String location = response.responseHeaders().get(HttpHeaderNames.LOCATION);
                return Mono.error(new FetchFailed(Kind.REDIRECT, url + " answered " + status.code()
                        + (location == null ? "" : " to " + SafeText.escape(location))
                        + ": redirects are not followed (RFC 8461 3.3)"));
            }
            if (status.code() != 200) {
                return Mono.error(new FetchFailed(Kind.HTTP_STATUS, url + " answered " + status.code()
                        + ", expected 200"));
            }
            String type = response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
            if (type == null || !type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT).equals("text/plain")) {
                return Mono.error(new FetchFailed(Kind.CONTENT_TYPE, url + " served "
                        + (type == null ? "no Content-Type" : "Content-Type \"" + SafeText.escape(type) + "\"")
                        + ", expected text/plain (RFC 8461 3.2)"));
            }
            String length = response.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
            if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 18
                    && Long.parseLong(length) > MAX_POLICY_BYTES) {
                return Mono.error(tooLarge(url, length + " bytes announced"));
            }
            return body.asByteArray().reduce(new ByteArrayOutputStream(), (all, chunk) -> {
                if (all.size() + chunk.length > MAX_POLICY_BYTES) {
                    throw tooLarge(url, "more than that sent");
                }
                all.write(chunk, 0, chunk.length);
                return all;
            }).map(all -> all.toString(StandardCharsets.ISO_8859_1));
        }).next()
                .switchIfEmpty(Mono.error(() -> new FetchFailed(Kind.CONNECT_FAILED, url + " gave no response")))
                .timeout(timeout, Mono.error(() -> new FetchFailed(Kind.TIMEOUT, "fetching " + url
                        + " took more than " + timeout.toMillis() + " ms")))
                .onErrorMap(e -> !(e instanceof FetchFailed), e -> classify(url, e));
    }

    private static FetchFailed tooLarge(String url, String what) {
        return new FetchFailed(Kind.TOO_LARGE, url + ": policy larger than " + MAX_POLICY_BYTES + " bytes ("
                + what + ", RFC 8461 3.3)");
    }

    private static FetchFailed classify(String url, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateException || t instanceof SSLException) {
                return new FetchFailed(Kind.WEBPKI_INVALID, "the certificate of " + url + " is not valid: "
                        + message(t), e);
            }
            if (t instanceof ReadTimeoutException || t instanceof TimeoutException) {
                return new FetchFailed(Kind.TIMEOUT, "fetching " + url + " timed out: " + message(t), e);
            }
        }
        return new FetchFailed(Kind.CONNECT_FAILED, "could not fetch " + url + ": " + message(e), e);
    }

    private static String message(Throwable t) {
        return t.getMessage() != null ? SafeText.escape(t.getMessage()) : t.getClass().getSimpleName();
    }

    /** A fetch that failed, with its typed reason. */
    public static final class FetchFailed extends RuntimeException {

        private static final long serialVersionUID = 1L;
        private final transient MtaStsFailure failure;

        FetchFailed(Kind kind, String message) {
            this(kind, message, null);
        }

        FetchFailed(Kind kind, String message, Throwable cause) {
            super(message, cause, false, false);
            this.failure = new MtaStsFailure(kind, message);
        }

        /** @return the typed reason */
        public MtaStsFailure failure() {
            return failure;
        }
    }
}
