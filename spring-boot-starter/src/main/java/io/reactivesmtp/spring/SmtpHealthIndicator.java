package io.reactivesmtp.spring;

import io.reactivesmtp.SmtpConnector;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * Checks the client's relay the way the client would open a session (connect, greeting, EHLO, STARTTLS when the TLS
 * policy asks for it, AUTH when credentials are configured), then QUITs: no mail is sent. UP with the server's name,
 * TLS protocol and whether it authenticated; DOWN with the reason (refused, timed out, TLS failure, AUTH refused).
 * One check at a time: concurrent health requests share the running check, and its result is reused for the cache
 * time. In MX mode there is no single server to check: UNKNOWN.
 *
 * <p>It opens its own connection on its own event-loop thread, outside the client's pools, so a check neither waits
 * behind mail nor takes a pooled connection away.
 */
public class SmtpHealthIndicator implements ReactiveHealthIndicator, DisposableBean {

    private final SmtpClientOptions options;
    private final Duration timeout;
    private final SmtpConnector connector;
    private final Mono<Health> cached;

    /**
     * @param client the client whose relay and session options are checked
     * @param timeout how long one check may take
     * @param cacheTtl how long a result is reused
     */
    public SmtpHealthIndicator(SmtpClient client, Duration timeout, Duration cacheTtl) {
        this.options = Objects.requireNonNull(client, "client").options();
        this.timeout = positive("reactive-smtp.health.timeout", timeout);
        Duration ttl = Objects.requireNonNull(cacheTtl, "cacheTtl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("reactive-smtp.health.cache-ttl must not be negative: " + ttl);
        }
        this.connector = options.routing().isMx() ? null : SmtpConnector.create();
        this.cached = Mono.defer(this::check).cache(health -> ttl, error -> Duration.ZERO, () -> Duration.ZERO);
    }

    private static Duration positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key + " must be positive: " + d);
        }
        return d;
    }

    @Override
    public Mono<Health> health() {
        return cached;
    }

    private Mono<Health> check() {
        if (connector == null) {
            return Mono.just(Health.unknown().withDetail("routing", "mx: no single server to check").build());
        }
        InetSocketAddress relay = options.routing().relays().get(0);
        String host = relay.getHostString();
        String server = host + ":" + relay.getPort();
        SmtpSessionOptions session = options.session();
        return Mono.defer(() -> {
            CompletableFuture<SmtpSession> connect = connector.connect(host, relay.getPort(), session);
            // The failure travels as a value: a connect that fails after the check gave up (timeout) must not
            // end up as an error Reactor drops and logs.
            CompletableFuture<Object> outcome = connect.handle((s, e) -> e != null ? e : s);
            return Mono.fromFuture(outcome, true)
                    .flatMap(o -> o instanceof Throwable ? Mono.error(unwrap((Throwable) o)) : Mono.just((SmtpSession) o))
                    // A check given up on must not leave its session open once it is ready.
                    .doOnCancel(() -> connect.thenAccept(SmtpSession::close));
        })
                .flatMap(s -> {
                    Health.Builder up = Health.up().withDetail("server", server)
                            .withDetail("greeting", s.capabilities().serverName())
                            .withDetail("tls", s.tls().map(TlsInfo::protocol).orElse("none"))
                            .withDetail("authenticated", session.credentials().isPresent());
                    return Mono.fromFuture(s.close(), true).onErrorResume(e -> Mono.empty()).thenReturn(up.build());
                })
                .timeout(timeout)
                .onErrorResume(e -> Mono.just(Health.down()
                        .withDetail("server", server)
                        .withDetail("error", e instanceof TimeoutException
                                ? "no session within " + timeout + " (reactive-smtp.health.timeout)"
                                : e.getClass().getSimpleName() + ": " + e.getMessage())
                        .build()));
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /** Closes the indicator's own event loop. */
    @Override
    public void destroy() {
        if (connector != null) {
            connector.close();
        }
    }
}
