package io.reactivesmtp.reactor.mtasts;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.resolver.AddressResolverGroup;
import io.reactivesmtp.internal.SafeText;
import io.reactivesmtp.reactor.MxTlsPolicy;
import io.reactivesmtp.reactor.MxTlsPolicySource;
import io.reactivesmtp.reactor.internal.DnsNames;
import io.reactivesmtp.reactor.internal.DnsQueries;
import io.reactivesmtp.reactor.internal.mtasts.PolicyCache;
import io.reactivesmtp.reactor.internal.mtasts.PolicyFetcher;
import io.reactivesmtp.reactor.internal.mtasts.StsTxt;
import io.reactivesmtp.reactor.mtasts.MtaStsFailure.Kind;
import io.reactivesmtp.reactor.mtasts.MtaStsLookup.Source;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * Finds, fetches, validates and caches the MTA-STS policies of recipient domains (RFC 8461), without blocking.
 *
 * <pre>{@code
 * try (DnsTxtLookup dns = DnsTxtLookup.create(loop)) {
 *     MtaStsPolicies sts = MtaStsPolicies.builder(dns).addressResolver(dns.addressResolverGroup()).build();
 *     MtaStsLookup found = sts.lookup("example.com").block(Duration.ofSeconds(30));
 *     if (found.enforced() && !found.policy().matches(mxHost)) { ... do not deliver to mxHost ... }
 * }
 * }</pre>
 *
 * <p>What {@link #lookup(String)} does:
 * <ol>
 *   <li>Asks for the TXT record {@code _mta-sts.<domain>} (skipped while a cached policy's record, or the absence
 *       of any record for a domain without a cached policy, was checked less than
 *       {@link Builder#txtRecheck(Duration)} ago). Records not beginning with {@code v=STSv1} are someone
 *       else's; several that do, or a malformed one, mean no available policy (RFC 8461 3.1).</li>
 *   <li>When the record's {@code id} differs from the cached policy's, or the cached one expired, fetches
 *       {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}: certificate verified for {@code mta-sts.<domain>},
 *       no redirect followed, status 200, {@code text/plain}, at most 64 KiB, within
 *       {@link Builder#fetchTimeout(Duration)}; then parses it ({@link MtaStsPolicy#parse(String, String)}).</li>
 *   <li>A policy is cached for its {@code max_age}. Whatever fails (DNS, a missing or invalid TXT record, the
 *       fetch, the policy), a cached policy that has not expired keeps being applied: an enforced policy is
 *       never downgraded by an attacker who blocks DNS or HTTPS. Without one, the domain has no policy
 *       (RFC 8461 5: deliver as without MTA-STS) and the lookup carries the typed {@link MtaStsFailure}.</li>
 * </ol>
 * Concurrent lookups of the same domain share one TXT query and fetch. The Mono never errors for a network or
 * policy problem; it errors only for an invalid domain (at once). Thread-safe.
 *
 * <p>As an {@link MxTlsPolicySource} it is what MX routing uses for MTA-STS:
 * {@code Routing.mx(resolver).withTlsPolicies(policies)}. Mode {@code enforce} and {@code testing} become an
 * {@link MxTlsPolicy} of source {@code MTA_STS}; mode {@code none}, or no policy to be had, none (delivery at the
 * routing's level). MX routing then also tells its TLS-RPT listener the lookup's {@link MtaStsLookup#tlsRptPolicy()}.
 */
public final class MtaStsPolicies implements MxTlsPolicySource {

    /** How long a policy fetch may take, connect to last byte. RFC 8461 3.3 suggests a timeout, e.g. a minute. */
    public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(20);
    /** How long a check of the TXT record holds for a cached policy. */
    public static final Duration DEFAULT_TXT_RECHECK = Duration.ofMinutes(5);
    /** How many domains' policies are cached. */
    public static final int DEFAULT_MAX_CACHED_DOMAINS = 10_000;

    /** The longest DNS name in presentation form, without the trailing dot (RFC 1035 2.3.4). */
    private static final int MAX_DNS_NAME = 253;

    private final TxtLookup txt;
    private final PolicyFetcher fetcher;
    private final PolicyCache cache;
    private final ConcurrentHashMap<String, Mono<MtaStsLookup>> inFlight = new ConcurrentHashMap<>();
    /**
     * Domains whose TXT query found no record and that have no cached policy, until when that holds (the TXT
     * recheck interval): a bulk send to a domain without MTA-STS asks DNS once per interval, not per message.
     */
    private final ConcurrentHashMap<String, Instant> absent = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration txtRecheck;
    private final int maxCachedDomains;

    private MtaStsPolicies(Builder b, SslContext ssl) {
        this.txt = b.txt;
        HttpClient http = HttpClient.create(ConnectionProvider.newConnection());
        if (b.addressResolver != null) {
            http = http.resolver(b.addressResolver);
        }
        if (b.loops != null) {
            http = http.runOn(b.loops);
        }
        this.fetcher = new PolicyFetcher(http, ssl, b.policyPort, b.fetchTimeout);
        this.cache = new PolicyCache(b.clock, b.txtRecheck, b.maxCachedDomains);
        this.clock = b.clock;
        this.txtRecheck = b.txtRecheck;
        this.maxCachedDomains = b.maxCachedDomains;
    }

    /**
     * @param txt how TXT records are asked for, e.g. a {@link DnsTxtLookup}
     * @return a builder with the defaults: the JDK's trust store, port 443, {@link #DEFAULT_FETCH_TIMEOUT}
     */
    public static Builder builder(TxtLookup txt) {
        return new Builder(Objects.requireNonNull(txt, "txt"));
    }

    /**
     * @param domain a recipient domain in ASCII (A-labels)
     * @return a cold Mono of what applies to the domain; see the class description
     * @throws IllegalArgumentException if the domain is not a valid DNS name (at once)
     */
    public Mono<MtaStsLookup> lookup(String domain) {
        String d = DnsNames.canonical(domain, "domain");
        return Mono.defer(() -> {
            MtaStsPolicy confirmed = cache.confirmed(d);
            if (confirmed != null) {
                return Mono.just(new MtaStsLookup(d, confirmed, Source.CACHED, null));
            }
            Instant until = absent.get(d);
            if (until != null && clock.instant().isBefore(until)) {
                return Mono.just(new MtaStsLookup(d, null, Source.NONE, null));
            }
            // Shared while in flight; removed before the outcome reaches anyone, so that a lookup that follows
            // sees the cache (or asks afresh), never an old outcome.
            AtomicReference<Mono<MtaStsLookup>> self = new AtomicReference<>();
            return inFlight.computeIfAbsent(d, k -> {
                Mono<MtaStsLookup> shared = discover(k)
                        .doOnEach(signal -> inFlight.remove(k, self.get()))
                        .cache();
                self.set(shared);
                return shared;
            });
        });
    }

    /**
     * @param domain a recipient domain in ASCII (A-labels)
     * @return a cold Mono of the policy to apply, empty when there is none (also when none could be had: see
     *         {@link #lookup(String)} for why)
     * @throws IllegalArgumentException if the domain is not a valid DNS name (at once)
     */
    public Mono<Optional<MtaStsPolicy>> policyFor(String domain) {
        return lookup(domain).map(MtaStsLookup::policyIfAny);
    }

    /**
     * The policy MX routing applies: {@link MtaStsLookup#mxTlsPolicy()} of {@link #lookup(String)}.
     *
     * @param asciiDomain the recipient domain, lower case, in A-label form
     * @return its policy in mode enforce or testing, or empty; an error only for an invalid domain
     */
    @Override
    public Mono<Optional<MxTlsPolicy>> policy(String asciiDomain) {
        return Mono.defer(() -> lookup(asciiDomain)).map(MtaStsLookup::mxTlsPolicy);
    }

    private Mono<MtaStsLookup> discover(String domain) {
        String name = "_mta-sts." + domain;
        if (name.length() > MAX_DNS_NAME) {
            // A domain this long cannot have the record: no policy, nothing failed.
            return Mono.just(orCached(domain, cache.valid(domain), null));
        }
        // Only the TXT lookup's failure is a DNS failure; the fetch types its own.
        return Mono.defer(() -> txt.txt(name))
                .map(StsTxt::read)
                .flatMapMany(record -> apply(domain, record),
                        e -> Mono.just(orCached(domain, cache.valid(domain), new MtaStsFailure(Kind.DNS_ERROR,
                                "TXT lookup of " + name + " failed: " + SafeText.escape(DnsQueries.describe(e))))),
                        Mono::empty)
                .next()
                .switchIfEmpty(Mono.fromSupplier(() -> orCached(domain, cache.valid(domain),
                        new MtaStsFailure(Kind.DNS_ERROR, "TXT lookup of " + name + " gave no answer"))));
    }

    private Mono<MtaStsLookup> apply(String domain, StsTxt record) {
        MtaStsPolicy cached = cache.valid(domain);
        if (record.problem() != null) {
            return Mono.just(orCached(domain, cached, new MtaStsFailure(Kind.TXT_INVALID,
                    "_mta-sts." + domain + ": " + record.problem())));
        }
        if (!record.announced()) {
            // No record: a domain withdraws a policy with mode none, not by deleting the record (RFC 8461 8.3),
            // so a cached policy holds until it expires.
            if (cached == null) {
                if (absent.size() >= maxCachedDomains) {
                    absent.clear();
                }
                absent.put(domain, clock.instant().plus(txtRecheck));
            }
            return Mono.just(orCached(domain, cached, null));
        }
        if (cached != null && cached.id().equals(record.id())) {
            cache.checked(domain);
            return Mono.just(new MtaStsLookup(domain, cached, Source.CACHED, null));
        }
        return fetch(domain, record.id(), cached);
    }

    private Mono<MtaStsLookup> fetch(String domain, String id, MtaStsPolicy cached) {
        return fetcher.fetch(domain)
                .map(text -> {
                    try {
                        MtaStsPolicy policy = MtaStsPolicy.parse(id, text);
                        cache.put(domain, policy);
                        return new MtaStsLookup(domain, policy, Source.FETCHED, null);
                    } catch (IllegalArgumentException e) {
                        return orCached(domain, cached, new MtaStsFailure(Kind.POLICY_INVALID, "the policy of "
                                + domain + " is invalid: " + e.getMessage()));
                    }
                })
                .onErrorResume(PolicyFetcher.FetchFailed.class, e -> Mono.just(orCached(domain, cached,
                        e.failure())));
    }

    private static MtaStsLookup orCached(String domain, MtaStsPolicy cached, MtaStsFailure failure) {
        return cached != null ? new MtaStsLookup(domain, cached, Source.CACHED, failure)
                : new MtaStsLookup(domain, null, Source.NONE, failure);
    }

    /** Builds {@link MtaStsPolicies}, validating each input. */
    public static final class Builder {
        private final TxtLookup txt;
        private AddressResolverGroup<?> addressResolver;
        private LoopResources loops;
        private TrustManagerFactory trust;
        private int policyPort = 443;
        private Duration fetchTimeout = DEFAULT_FETCH_TIMEOUT;
        private Duration txtRecheck = DEFAULT_TXT_RECHECK;
        private Clock clock = Clock.systemUTC();
        private int maxCachedDomains = DEFAULT_MAX_CACHED_DOMAINS;

        private Builder(TxtLookup txt) {
            this.txt = txt;
        }

        /**
         * @param group resolves {@code mta-sts.<domain>} to addresses, e.g. {@link DnsTxtLookup#addressResolverGroup()};
         *        default reactor-netty's
         * @return this
         */
        public Builder addressResolver(AddressResolverGroup<?> group) {
            this.addressResolver = Objects.requireNonNull(group, "group");
            return this;
        }

        /** @param loops the event loops of the HTTPS fetches; default reactor-netty's global ones @return this */
        public Builder runOn(LoopResources loops) {
            this.loops = Objects.requireNonNull(loops, "loops");
            return this;
        }

        /**
         * @param factory whom the policy hosts' certificates must chain to; default the JDK's trust store (the
         *        Web PKI, as RFC 8461 3.3 requires). Host names are verified either way.
         * @return this
         */
        public Builder trustManagerFactory(TrustManagerFactory factory) {
            this.trust = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * FOR TESTS: the port of the policy hosts, instead of 443.
         *
         * @param port 1 to 65535
         * @return this
         */
        public Builder policyPort(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("invalid MTA-STS policy port " + port + ": expected 1 to 65535");
            }
            this.policyPort = port;
            return this;
        }

        /** @param timeout the bound on one fetch, connect to last byte; positive @return this */
        public Builder fetchTimeout(Duration timeout) {
            this.fetchTimeout = positive(timeout, "MTA-STS fetch timeout");
            return this;
        }

        /** @param recheck how long a check of a cached policy's TXT record holds; positive @return this */
        public Builder txtRecheck(Duration recheck) {
            this.txtRecheck = positive(recheck, "MTA-STS TXT recheck interval");
            return this;
        }

        /** @param clock the time policies expire by; default the system's UTC clock @return this */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @param max how many domains' policies are cached, least recently used first out; at least 1 @return this */
        public Builder maxCachedDomains(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("invalid MTA-STS cache size " + max + ": expected at least 1");
            }
            this.maxCachedDomains = max;
            return this;
        }

        /**
         * @return the policies, with an empty cache
         * @throws IllegalArgumentException if the TLS context cannot be built
         */
        public MtaStsPolicies build() {
            try {
                SslContextBuilder ssl = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
                if (trust != null) {
                    ssl.trustManager(trust);
                }
                return new MtaStsPolicies(this, ssl.build());
            } catch (SSLException e) {
                throw new IllegalArgumentException("could not build the TLS context of MTA-STS fetches: "
                        + e.getMessage(), e);
            }
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("invalid " + what + " " + d + ": expected > 0");
            }
            return d;
        }
    }
}
