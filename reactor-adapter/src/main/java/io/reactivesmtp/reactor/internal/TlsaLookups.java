package io.reactivesmtp.reactor.internal;

import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.dns.DnsServerAddressStream;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.reactor.TlsaAnswer;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * TLSA lookups for DANE ({@code _port._tcp.host}), cached for their TTL (answers without records for
 * {@link #NEGATIVE_TTL_SECONDS}), one query per name at a time. The AD bit of an answer counts only when the
 * resolver is trusted to validate (RFC 7672 §2.2: TLSA records that are not DNSSEC-validated are no TLSA
 * records). Internal: not part of the API.
 */
public final class TlsaLookups {

    /**
     * How long "no TLSA records" is kept: most MX hosts have none, and a bulk send must not ask again for every
     * message. Short, so that a domain that starts publishing TLSA is seen soon.
     */
    static final long NEGATIVE_TTL_SECONDS = 300;

    private final DnsQueries queries;
    private final DnsMxCache cache;
    private final long maxTtlSeconds;
    private final boolean trustAuthenticData;
    private final ConcurrentHashMap<String, Mono<DnsMxAnswer>> inFlight = new ConcurrentHashMap<>();

    /**
     * @param queries the resolver's questions
     * @param cache where answers are kept, by TLSA name
     * @param maxTtlSeconds the longest any answer is kept
     * @param trustAuthenticData whether the AD bit of the configured servers is believed
     */
    public TlsaLookups(DnsQueries queries, DnsMxCache cache, long maxTtlSeconds, boolean trustAuthenticData) {
        this.queries = queries;
        this.cache = cache;
        this.maxTtlSeconds = maxTtlSeconds;
        this.trustAuthenticData = trustAuthenticData;
    }

    /**
     * @param provider the configured DNS servers
     * @return whether every one is on loopback (a local resolver, whose AD bit no one on the network can forge)
     */
    public static boolean allLoopback(DnsServerAddressStreamProvider provider) {
        DnsServerAddressStream servers = provider.nameServerAddressStream("");
        int n = servers.size();
        for (int i = 0; i < n; i++) {
            InetSocketAddress a = servers.next();
            if (a.isUnresolved() || !a.getAddress().isLoopbackAddress()) {
                return false;
            }
        }
        return n > 0;
    }

    /**
     * @param host the MX host
     * @param port the port connected to
     * @return the TLSA records of {@code _port._tcp.host}; an {@link SmtpConnectionException} when DNS did not
     *     answer
     * @throws IllegalArgumentException if the host name is invalid (at once)
     */
    public Mono<TlsaAnswer> resolve(String host, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid port " + port + " for a TLSA lookup: expected 1-65535");
        }
        String name = "_" + port + "._tcp." + DnsNames.canonical(host, "MX host");
        return Mono.defer(() -> {
            DnsMxAnswer cached = cache.get(name);
            return cached != null ? Mono.just(cached) : lookup(name);
        }).flatMap(a -> answer(name, a));
    }

    private Mono<TlsaAnswer> answer(String name, DnsMxAnswer a) {
        switch (a.kind()) {
            case TLSA:
                return Mono.just(TlsaAnswer.of(a.tlsa(), trustAuthenticData && a.authenticData(), a.ttlSeconds()));
            case NO_RECORDS:
            case NXDOMAIN:
                return Mono.just(TlsaAnswer.none());
            default:
                return Mono.error(new SmtpConnectionException("DNS lookup of TLSA for " + name + " gave "
                        + a.kind() + " (" + a.responseCode() + ")", null, null));
        }
    }

    private Mono<DnsMxAnswer> lookup(String name) {
        AtomicReference<Mono<DnsMxAnswer>> self = new AtomicReference<>();
        return inFlight.computeIfAbsent(name, n -> {
            Mono<DnsMxAnswer> m = queries.ask(n, DnsRecordType.TLSA)
                    .doOnNext(a -> {
                        long ttl = a.kind() == DnsMxAnswer.Kind.TLSA ? a.ttlSeconds() : NEGATIVE_TTL_SECONDS;
                        cache.put(n, a, Math.min(ttl, maxTtlSeconds));
                    })
                    .doOnTerminate(() -> inFlight.remove(n, self.get()))
                    .cache();
            self.set(m);
            return m;
        });
    }
}
