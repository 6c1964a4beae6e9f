package io.reactivesmtp.reactor;

import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DefaultDnsCache;
import io.netty.resolver.dns.DefaultDnsCnameCache;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpNoMailExchangerException;
import io.reactivesmtp.SmtpPolicyException;
import io.reactivesmtp.reactor.internal.DnsMxAnswer;
import io.reactivesmtp.reactor.internal.DnsMxCache;
import io.reactivesmtp.reactor.internal.DnsNames;
import io.reactivesmtp.reactor.internal.DnsQueries;
import io.reactivesmtp.reactor.internal.DnsTransports;
import io.reactivesmtp.reactor.internal.HostAddresses;
import io.reactivesmtp.reactor.internal.TlsaLookups;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * The {@link MxResolver} of MX routing: asks DNS through Netty's non-blocking {@link DnsNameResolver}, on one
 * event loop, and never blocks.
 *
 * <pre>{@code
 * EventLoop loop = ...; // e.g. LoopResources.create("smtp").onClient(true).next()
 * try (DnsMxResolver mx = DnsMxResolver.builder(loop).build()) { // the system's resolv.conf
 *     List<MxHost> hosts = mx.resolve("example.com").block(Duration.ofSeconds(10));
 *     TcpClient tcp = TcpClient.create().resolver(mx.addressResolverGroup()); // same servers and cache
 * }
 * }</pre>
 *
 * <p>What {@link #resolve(String)} does (RFC 5321 section 5.1):
 * <ul>
 *   <li>MX records are sorted by preference, lowest first; hosts of equal preference are shuffled on every call
 *       (with the builder's {@link Random}) so that load spreads over them. Names are lower case without the
 *       trailing dot. MX records reached through a CNAME chain in the same answer count; others are ignored.</li>
 *   <li>No MX records but the name exists: the implicit MX {@code [domain, preference 0]} if the domain has an
 *       A or AAAA record, else an {@link SmtpPolicyException}.</li>
 *   <li>A null MX (RFC 7505, exchange {@code "."}), an unknown domain (NXDOMAIN), MX records none of which
 *       names a usable host: {@link SmtpNoMailExchangerException} (a {@link SmtpPolicyException}), not
 *       retryable and {@linkplain io.reactivesmtp.SmtpException#isPermanent() permanent}.</li>
 *   <li>No answer (timeout, SERVFAIL, REFUSED, a malformed response) from every configured DNS server, tried in
 *       order: {@link SmtpConnectionException}, retryable.</li>
 * </ul>
 *
 * <p>Caching: MX answers (and null MX and implicit MX answers) are kept for the smallest TTL of the records
 * used, at most {@link Builder#maxTtl(Duration)}, for at most {@link Builder#maxCachedDomains(int)} domains
 * (least recently used go first). Concurrent lookups of the same domain share one query. Negative answers
 * (NXDOMAIN, no records) and failures are not cached. Addresses (A/AAAA) go through Netty's TTL-respecting
 * {@link DefaultDnsCache}, shared with {@link #addressResolverGroup()}.
 *
 * <p>{@link #resolveTlsa(String, int)} finds an MX host's TLSA records for DANE. Every query asks with the DO
 * bit; an answer's AD bit is believed only from a trusted resolver: by default when every configured DNS server
 * is on loopback (a local validating resolver such as unbound, as Postfix advises), else when
 * {@link Builder#trustAuthenticatedData(boolean)} says so. The hosts of an MX answer it believes are
 * {@link MxHost#dnssecValidated()} (RFC 7672 §2.2.1; for the implicit MX, both the answer without MX and the
 * address answer must be); DANE applies to no other host.
 *
 * <p>The Monos complete on the resolver's event loop (or, for a cached answer, on the subscribing thread).
 * Thread-safe. {@link #close()} releases the UDP socket and the resolvers of the address group.
 */
public final class DnsMxResolver implements MxResolver, TlsaResolver, AutoCloseable {

    /** Netty's default query timeout; enough for a recursive resolver that must ask the authorities itself. */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);
    /** Cap on how long any DNS answer is cached, whatever its TTL says (common resolver practice: a day). */
    public static final Duration DEFAULT_MAX_TTL = Duration.ofDays(1);
    /** How many domains' MX answers are cached by default. */
    public static final int DEFAULT_MAX_CACHED_DOMAINS = 10_000;
    /** Questions in flight that later identical ones wait for instead of asking again (Netty's consolidation). */
    private static final int MAX_CONSOLIDATED = 1024;

    private final DnsNameResolver resolver;
    private final DnsNameResolverBuilder template;
    private final DnsServerAddressStreamProvider nameServers;
    private final DnsQueries queries;
    private final HostAddresses addresses;
    private final Random random;
    private final DnsMxCache cache;
    private final TlsaLookups tlsa;
    private final boolean trustsAuthenticData;
    private final long maxTtlSeconds;
    private final ConcurrentHashMap<String, Mono<DnsMxAnswer>> inFlight = new ConcurrentHashMap<>();
    private final AtomicReference<AddressResolverGroup<InetSocketAddress>> group = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private DnsMxResolver(Builder b) {
        this.nameServers = b.nameServers;
        this.random = b.random;
        this.maxTtlSeconds = b.maxTtl.getSeconds();
        this.cache = new DnsMxCache(b.maxCachedDomains, System::nanoTime);
        int maxTtl = (int) Math.min(Integer.MAX_VALUE, maxTtlSeconds);
        // Without an event loop: the address group binds each copy to the loop of the connection it serves.
        this.template = new DnsNameResolverBuilder()
                .nameServerProvider(b.nameServers)
                .queryTimeoutMillis(b.queryTimeout.toMillis())
                .resolveCache(new DefaultDnsCache(0, maxTtl, 0))
                .cnameCache(new DefaultDnsCnameCache(0, maxTtl))
                // A mail domain is always fully qualified: "example" must never become "example.corp.local".
                .searchDomains(Collections.emptyList())
                .ndots(1)
                // The sends of a new domain all ask for its MX host's addresses at once: one query goes out.
                .consolidateCacheSize(MAX_CONSOLIDATED);
        this.resolver = DnsTransports.configure(template.copy(), b.eventLoop, b.datagramChannelType,
                b.socketChannelType).build();
        this.queries = new DnsQueries(resolver, b.nameServers, closed::get);
        this.addresses = new HostAddresses(resolver, closed::get);
        this.trustsAuthenticData = b.trustAd != null ? b.trustAd : TlsaLookups.allLoopback(b.nameServers);
        this.tlsa = new TlsaLookups(queries, new DnsMxCache(b.maxCachedDomains, System::nanoTime), maxTtlSeconds,
                trustsAuthenticData);
    }

    /**
     * @param eventLoop the loop the resolver's UDP socket lives on; the DNS socket is of its transport (NIO,
     *        epoll, kqueue, io_uring)
     * @return a builder; by default it asks the system's DNS servers (resolv.conf)
     */
    public static Builder builder(EventLoop eventLoop) {
        return new Builder(Objects.requireNonNull(eventLoop, "eventLoop"));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the domain is empty, longer than 253 characters, has an empty or
     *         over-long label, or has anything but printable ASCII (at once, not through the Mono)
     */
    @Override
    public Mono<List<MxHost>> resolve(String asciiDomain) {
        String domain = DnsNames.canonical(asciiDomain, "domain");
        return Mono.defer(() -> {
            if (closed.get()) {
                return Mono.error(new IllegalStateException("DnsMxResolver is closed: cannot resolve " + domain));
            }
            DnsMxAnswer cached = cache.get(domain);
            return (cached != null ? Mono.just(cached) : lookup(domain)).flatMap(answer -> route(domain, answer));
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Cached for the records' TTL (at most {@link Builder#maxTtl}); "no records" for five minutes.
     *
     * @throws IllegalArgumentException if the host name is invalid (at once)
     */
    @Override
    public Mono<TlsaAnswer> resolveTlsa(String host, int port) {
        return tlsa.resolve(host, port);
    }

    /**
     * @param asciiDomain a domain, as for {@link #resolve}
     * @return what {@link #resolve} would give at once from the cache (a cached MX answer or implicit MX), else null
     * @throws IllegalArgumentException if the domain is invalid
     */
    public List<MxHost> cachedMx(String asciiDomain) {
        DnsMxAnswer cached = closed.get() ? null : cache.get(DnsNames.canonical(asciiDomain, "domain"));
        return cached == null || cached.kind() != DnsMxAnswer.Kind.MX ? null
                : MxHost.shuffledWithinPreference(cached.hosts(), trustsAuthenticData && cached.authenticData(), random);
    }

    /**
     * @param host a host name
     * @return what {@link #resolveAddresses} would give at once from the cache, else null (it would ask or fail)
     */
    public List<InetAddress> cachedAddresses(String host) {
        try {
            return closed.get() ? null : addresses.cached(DnsNames.canonical(host, "host"));
        } catch (IllegalArgumentException e) {
            return null; // resolveAddresses throws it: the general path reports it as it does
        }
    }

    /** @return whether the AD bit of the configured DNS servers is believed (DANE needs it) */
    public boolean trustsAuthenticatedData() {
        return trustsAuthenticData;
    }

    /**
     * Resolves a host name (an MX host) to its addresses through the same DNS servers and address cache as
     * {@link #addressResolverGroup()}. The hosts file is consulted first, as for any Netty resolver.
     *
     * <p>An answer still in the cache (kept for its TTL) is given at once, on the subscribing thread.
     *
     * @param host a host name in ASCII, or an IP address literal
     * @return a cold Mono of its addresses; errors with a retryable {@link SmtpConnectionException} when it has
     *         none or DNS did not answer (an MX host without address is skipped for the next one, not fatal)
     * @throws IllegalArgumentException if the host name is invalid (at once)
     */
    public Mono<List<InetAddress>> resolveAddresses(String host) {
        return addresses.resolve(DnsNames.canonical(host, "host"));
    }

    /**
     * An address resolver group for connecting to MX hosts with the same DNS servers, timeout and address
     * cache as this resolver: {@code TcpClient.create().resolver(mx.addressResolverGroup())}. Each event loop
     * that uses it gets its own {@link DnsNameResolver} on a socket of that loop's transport. Created on first
     * use, owned by this resolver: {@link #close()} closes it, callers must not.
     *
     * @return the group, the same instance on every call
     * @throws IllegalStateException if this resolver is closed
     */
    public AddressResolverGroup<InetSocketAddress> addressResolverGroup() {
        AddressResolverGroup<InetSocketAddress> g = group.get();
        if (g == null) {
            g = DnsTransports.addressResolverGroup(template);
            if (!group.compareAndSet(null, g)) {
                g.close();
                g = group.get();
            }
        }
        if (closed.get()) {
            // close() may have run between the check and the set: it would have missed this group.
            g.close();
            throw new IllegalStateException("DnsMxResolver is closed");
        }
        return g;
    }

    /** Closes the resolver's socket and the address group's resolvers; lookups in flight fail. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            resolver.close();
            AddressResolverGroup<InetSocketAddress> g = group.get();
            if (g != null) {
                g.close();
            }
        }
    }

    @Override
    public String toString() {
        return "DnsMxResolver{" + nameServers + ", " + cache.size() + " domains cached}";
    }

    private Mono<List<MxHost>> route(String domain, DnsMxAnswer answer) {
        switch (answer.kind()) {
            case MX:
                return Mono.just(MxHost.shuffledWithinPreference(answer.hosts(),
                        trustsAuthenticData && answer.authenticData(), random));
            case NULL_MX:
                return Mono.error(new SmtpNoMailExchangerException(domain + " accepts no mail (null MX, RFC 7505)"));
            case UNUSABLE_MX:
                return Mono.error(new SmtpNoMailExchangerException(domain + " has MX records but none names a usable host"));
            case NXDOMAIN:
                return Mono.error(new SmtpNoMailExchangerException(domain + " does not exist (NXDOMAIN)"));
            case NO_RECORDS:
                return implicitMx(domain, answer.authenticData()).flatMap(implicit -> route(domain, implicit));
            default:
                // SERVER_FAILURE never gets here: queries.ask() turns it into an error.
                return Mono.error(new IllegalStateException("unexpected DNS answer for " + domain + ": " + answer));
        }
    }

    /**
     * RFC 5321 5.1: no MX, so the domain itself is the exchanger if it has an address. Asked as A then AAAA
     * with our own queries, not Netty's address resolution, because that reports SERVFAIL and "no such record"
     * alike and a transient DNS failure must not become a permanent bounce.
     */
    private Mono<DnsMxAnswer> implicitMx(String domain, boolean noMxAuthentic) {
        return queries.ask(domain, DnsRecordType.A)
                .flatMap(a -> a.kind() == DnsMxAnswer.Kind.NO_RECORDS ? queries.ask(domain, DnsRecordType.AAAA)
                        : Mono.just(a))
                .flatMap(a -> {
                    switch (a.kind()) {
                        case ADDRESSES:
                            DnsMxAnswer implicit = DnsMxAnswer.implicit(domain, a.ttlSeconds(),
                                    noMxAuthentic && a.authenticData());
                            cache.put(domain, implicit, Math.min(a.ttlSeconds(), maxTtlSeconds));
                            return Mono.just(implicit);
                        case NXDOMAIN:
                            return Mono.just(a);
                        default:
                            return Mono.error(new SmtpNoMailExchangerException(domain + " accepts no mail: it has no MX and"
                                    + " no A or AAAA record (RFC 5321 5.1)"));
                    }
                });
    }

    /** One MX query per domain at a time: a bulk send to one big domain must not fire a query per message. */
    private Mono<DnsMxAnswer> lookup(String domain) {
        AtomicReference<Mono<DnsMxAnswer>> self = new AtomicReference<>();
        Mono<DnsMxAnswer> shared = inFlight.computeIfAbsent(domain, d -> {
            Mono<DnsMxAnswer> m = queries.ask(d, DnsRecordType.MX)
                    .doOnNext(answer -> {
                        if (answer.kind() == DnsMxAnswer.Kind.MX || answer.kind() == DnsMxAnswer.Kind.NULL_MX) {
                            cache.put(d, answer, Math.min(answer.ttlSeconds(), maxTtlSeconds));
                        }
                    })
                    // Removed before the answer reaches anyone: a lookup that follows a failure must ask again,
                    // not join the failed one.
                    .doOnTerminate(() -> inFlight.remove(d, self.get()))
                    // Shared by the lookups that arrive meanwhile; a subscriber that cancels does not stop it.
                    .cache();
            self.set(m);
            return m;
        });
        return shared;
    }

    /** Builds a {@link DnsMxResolver}, validating each input. */
    public static final class Builder {
        private final EventLoop eventLoop;
        private DnsServerAddressStreamProvider nameServers;
        private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
        private Duration maxTtl = DEFAULT_MAX_TTL;
        private int maxCachedDomains = DEFAULT_MAX_CACHED_DOMAINS;
        private Random random = new Random();
        private Class<? extends DatagramChannel> datagramChannelType;
        private Class<? extends SocketChannel> socketChannelType;
        private Boolean trustAd;

        private Builder(EventLoop eventLoop) {
            this.eventLoop = eventLoop;
        }

        /**
         * @param provider which DNS servers to ask for a name; default
         *        {@link DnsServerAddressStreamProviders#platformDefault()} (resolv.conf, else public servers)
         * @return this
         */
        public Builder nameServers(DnsServerAddressStreamProvider provider) {
            this.nameServers = Objects.requireNonNull(provider, "provider");
            return this;
        }

        /**
         * @param servers the DNS servers to ask, tried in this order; at least one
         * @return this
         */
        public Builder nameServers(InetSocketAddress... servers) {
            if (servers == null || servers.length == 0) {
                throw new IllegalArgumentException("no DNS servers given: expected at least one");
            }
            for (InetSocketAddress s : servers) {
                Objects.requireNonNull(s, "DNS server");
            }
            this.nameServers = new SequentialDnsServerAddressStreamProvider(servers);
            return this;
        }

        /**
         * @param timeout how long to wait for one server's answer before asking the next; default 5 s
         * @return this
         */
        public Builder queryTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("invalid DNS query timeout " + timeout + ": expected > 0");
            }
            this.queryTimeout = timeout;
            return this;
        }

        /**
         * @param maxTtl the longest any answer is cached, whatever its TTL; at least 1 s; default 1 day
         * @return this
         */
        public Builder maxTtl(Duration maxTtl) {
            if (maxTtl == null || maxTtl.getSeconds() < 1) {
                throw new IllegalArgumentException("invalid DNS max TTL " + maxTtl + ": expected at least 1 s");
            }
            this.maxTtl = maxTtl;
            return this;
        }

        /**
         * @param maxCachedDomains how many domains' MX answers are cached; at least 1; default 10,000
         * @return this
         */
        public Builder maxCachedDomains(int maxCachedDomains) {
            if (maxCachedDomains < 1) {
                throw new IllegalArgumentException("invalid MX cache size " + maxCachedDomains
                        + ": expected at least 1");
            }
            this.maxCachedDomains = maxCachedDomains;
            return this;
        }

        /**
         * @param random shuffles MX hosts of equal preference; a seeded one makes tests repeatable; default a new
         *        {@link Random}
         * @return this
         */
        public Builder random(Random random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Whether the AD bit of the configured DNS servers' answers is believed, so that TLSA records they say
         * they validated enable DANE. By default only when every server is on loopback: the AD bit crosses the
         * network unprotected, so a remote resolver's is worth something only over a path you trust.
         *
         * @param trust true to believe it, false never to
         * @return this
         */
        public Builder trustAuthenticatedData(boolean trust) {
            this.trustAd = trust;
            return this;
        }

        /**
         * Overrides the channel classes of this resolver's own sockets, for an event loop reactor-netty cannot
         * identify. The {@link DnsMxResolver#addressResolverGroup() address group} always matches each loop.
         *
         * @param datagramType the UDP channel class; default the one of the event loop's transport
         * @param socketType the TCP channel class, for answers truncated over UDP; default likewise
         * @return this
         */
        public Builder channelTypes(Class<? extends DatagramChannel> datagramType,
                Class<? extends SocketChannel> socketType) {
            this.datagramChannelType = Objects.requireNonNull(datagramType, "datagramType");
            this.socketChannelType = Objects.requireNonNull(socketType, "socketType");
            return this;
        }

        /**
         * Without {@link #nameServers}, reads the system's resolver configuration (a file read): build at
         * start-up, not on an event loop.
         *
         * @return the resolver, which owns a UDP socket until {@link DnsMxResolver#close()}
         */
        public DnsMxResolver build() {
            if (nameServers == null) {
                nameServers = DnsServerAddressStreamProviders.platformDefault();
            }
            return new DnsMxResolver(this);
        }
    }
}
