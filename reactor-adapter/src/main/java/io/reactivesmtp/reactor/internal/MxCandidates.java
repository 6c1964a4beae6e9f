package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SmtpNoMailExchangerException;
import io.reactivesmtp.reactor.DnsMxResolver;
import io.reactivesmtp.reactor.MxHost;
import io.reactivesmtp.reactor.MxResolver;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * A recipient domain's candidates in MX routing: its MX hosts in order, each with its TLS level
 * ({@link MxTlsLevels}), those that may share sessions bound to their addresses ({@link MxAddresses}).
 *
 * <p>When the MX answer and the hosts' addresses are in the resolver's cache and the TLS level needs no lookup
 * (every message but a domain's first, without MTA-STS or DANE), {@link #now} computes them in plain code: no chain of
 * operators per message, nor per new domain once its answers came. Otherwise {@link #lookedUp} is the chain of the
 * lookups, which takes the same plain steps where it can. Both give the same candidates. Internal: not part of the API.
 */
public final class MxCandidates {

    private final MxResolver resolver;
    /** Null for MX resolvers other than {@link DnsMxResolver}: nothing is known without asking them. */
    private final DnsMxResolver dns;
    private final MxTlsLevels tls;
    /** Null for MX resolvers other than {@link DnsMxResolver}: candidates then stay keyed by name. */
    private final MxAddresses addresses;
    /** The lookups of domains whose answers are being looked up, shared by the sends to them meanwhile. */
    private final ConcurrentHashMap<String, Mono<List<DestinationKey>>> underWay = new ConcurrentHashMap<>();

    /**
     * @param options the client's options, MX routing
     * @param tls the TLS levels of MX routing
     */
    public MxCandidates(SmtpClientOptions options, MxTlsLevels tls) {
        this.resolver = options.routing().mxResolver().orElseThrow();
        this.dns = resolver instanceof DnsMxResolver ? (DnsMxResolver) resolver : null;
        this.tls = tls;
        this.addresses = dns == null ? null : new MxAddresses(dns::resolveAddresses, dns::cachedAddresses);
    }

    /**
     * @param domain the recipient domain, lower case
     * @return its candidates in the order to try them, or null when a lookup is needed ({@link #lookedUp})
     * @throws IllegalArgumentException if the domain is not a valid DNS name (as {@link MxResolver#resolve} does)
     */
    public List<DestinationKey> now(String domain) {
        List<MxHost> hosts = dns == null ? null : dns.cachedMx(domain);
        if (hosts == null) {
            return null;
        }
        List<DestinationKey> keys = tls.candidatesNow(domain, hosts);
        return keys == null || addresses == null ? keys : addresses.boundNow(keys);
    }

    /**
     * The candidates of a domain whose answers are not all cached. The sends to it that come while its lookups are
     * under way (a new domain's messages, sorted by domain, come together) wait for the first one's lookups, then
     * each computes its own candidates as {@link #now} does, instead of each running the chain of lookups.
     *
     * @param domain the recipient domain, lower case
     * @return its candidates once looked up; errors as the MX lookup and TLS policies say
     * @throws IllegalArgumentException if the domain is not a valid DNS name (as {@link MxResolver#resolve} does)
     */
    public Mono<List<DestinationKey>> lookedUp(String domain) {
        if (dns == null || !tls.computableNow()) {
            return chain(domain);
        }
        Mono<List<DestinationKey>> first = underWay.get(domain);
        if (first == null) {
            AtomicReference<Mono<List<DestinationKey>>> self = new AtomicReference<>();
            // Removed before the answer reaches anyone: a send that follows looks at the cache, not at this one.
            Mono<List<DestinationKey>> lookups = chain(domain).doOnTerminate(() -> underWay.remove(domain, self.get()))
                    .cache();
            self.set(lookups);
            first = underWay.putIfAbsent(domain, lookups);
            if (first == null) {
                return lookups;
            }
        }
        // Its error is the shared MX lookup's, which this send's own lookup would have joined.
        return first.flatMap(theirs -> {
            List<DestinationKey> now = now(domain);
            return now != null ? Mono.just(now) : chain(domain);
        });
    }

    /** The chain of lookups, taking the plain steps where it can. */
    private Mono<List<DestinationKey>> chain(String domain) {
        return resolver.resolve(domain)
                .switchIfEmpty(Mono.error(() -> new SmtpNoMailExchangerException("no mail exchanger for " + domain)))
                .flatMap(hosts -> {
                    if (hosts.isEmpty()) {
                        return Mono.error(new SmtpNoMailExchangerException("no mail exchanger for " + domain));
                    }
                    List<DestinationKey> keys = tls.candidatesNow(domain, hosts);
                    if (keys == null) {
                        Mono<List<DestinationKey>> candidates = tls.candidates(domain, hosts);
                        return addresses == null ? candidates : candidates.flatMap(addresses::bind);
                    }
                    List<DestinationKey> bound = addresses == null ? keys : addresses.boundNow(keys);
                    return bound != null ? Mono.just(bound) : addresses.bind(keys);
                });
    }
}
