package io.reactivesmtp.reactor.internal;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Binds the MX candidates whose sessions depend on nothing about the host name
 * ({@link DestinationKey#sharesByAddress()}) to the addresses their host resolves to, before a pool is chosen: MX
 * hosts of different domains that are one server then share one pool and its sessions (Postfix's connection cache
 * reuses a session by IP address, not only by next-hop name). The lookup is the MX resolver's own (same DNS servers,
 * answers cached for their TTL, a cached answer given at once). A host whose lookup fails keeps its key by name: the
 * connect resolves it as before and fails over to the next MX host as before. Internal: not part of the API.
 */
final class MxAddresses {

    private final Function<String, Mono<List<InetAddress>>> lookup;
    private final Function<String, List<InetAddress>> cached;

    /**
     * @param lookup a host name's addresses, in the order to try them (never blocking)
     * @param cached what {@code lookup} would give at once from its cache, else null
     */
    MxAddresses(Function<String, Mono<List<InetAddress>>> lookup, Function<String, List<InetAddress>> cached) {
        this.lookup = lookup;
        this.cached = cached;
    }

    /**
     * @param candidates a domain's candidates in the order to try them
     * @return the same candidates, those that may share sessions bound to their host's addresses
     */
    Mono<List<DestinationKey>> bind(List<DestinationKey> candidates) {
        boolean any = false;
        for (DestinationKey k : candidates) {
            any |= k.sharesByAddress() && k.addresses() == null;
        }
        if (!any) {
            return Mono.just(candidates);
        }
        return Flux.fromIterable(candidates)
                .concatMap(k -> !k.sharesByAddress() || k.addresses() != null ? Mono.just(k)
                        : Mono.defer(() -> lookup.apply(k.host()))
                                .filter(a -> !a.isEmpty())
                                .map(k::atAddresses)
                                .onErrorResume(e -> e instanceof Exception, e -> Mono.empty())
                                .defaultIfEmpty(k))
                .collectList();
    }

    /**
     * What {@link #bind} gives, at once, when every address it needs is in the cache (MX routing asks this for every
     * message; a domain's keys name few hosts, each host usually twice at level {@code may}).
     *
     * @param candidates a domain's candidates in the order to try them
     * @return the candidates bound as {@code bind} would bind them, or null when a host's addresses are not cached
     */
    List<DestinationKey> boundNow(List<DestinationKey> candidates) {
        List<DestinationKey> bound = null;
        String host = null;
        List<InetAddress> addresses = null;
        for (int i = 0; i < candidates.size(); i++) {
            DestinationKey k = candidates.get(i);
            if (!k.sharesByAddress() || k.addresses() != null) {
                if (bound != null) {
                    bound.add(k);
                }
                continue;
            }
            if (!k.host().equals(host)) {
                host = k.host();
                addresses = cached.apply(host);
                if (addresses == null) {
                    return null;
                }
            }
            if (bound == null) {
                bound = new ArrayList<>(candidates.size());
                bound.addAll(candidates.subList(0, i));
            }
            bound.add(addresses.isEmpty() ? k : k.atAddresses(addresses));
        }
        return bound == null ? candidates : bound;
    }
}
