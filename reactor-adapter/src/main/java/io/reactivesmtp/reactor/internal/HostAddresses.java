package io.reactivesmtp.reactor.internal;

import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsCacheEntry;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.reactivesmtp.SmtpConnectionException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import reactor.core.publisher.Mono;

/**
 * The addresses of a host name (an MX host) through a Netty {@link DnsNameResolver}, whose cache keeps each answer
 * for its TTL. An answer still in that cache is given at once on the calling thread: MX routing asks for every
 * message, and {@link DnsNameResolver#resolveAll(String)} would complete even a cached answer in a task on the
 * resolver's one event loop. Otherwise the resolver asks DNS (hosts file first, as always) without blocking.
 * Internal: not part of the API.
 */
public final class HostAddresses {

    private final DnsNameResolver resolver;
    private final BooleanSupplier closed;

    /**
     * @param resolver the resolver, with its address cache
     * @param closed whether the owner is closed (lookups then fail)
     */
    public HostAddresses(DnsNameResolver resolver, BooleanSupplier closed) {
        this.resolver = resolver;
        this.closed = closed;
    }

    /**
     * @param name a valid host name, canonical (lower case, no trailing dot), or an IP literal
     * @return a cold Mono of its addresses, in the resolver's order (its preferred family first); errors with a
     *     retryable {@link SmtpConnectionException} when it has none or DNS did not answer
     */
    public Mono<List<InetAddress>> resolve(String name) {
        return Mono.defer(() -> {
            if (closed.getAsBoolean()) {
                return Mono.error(new IllegalStateException("DnsMxResolver is closed: cannot resolve " + name));
            }
            List<InetAddress> cached = cached(name);
            return cached != null ? Mono.just(cached) : Mono.<List<InetAddress>>create(sink -> {
                Future<List<InetAddress>> f = resolver.resolveAll(name);
                sink.onCancel(() -> f.cancel(false));
                f.addListener(done -> {
                    if (done.isSuccess()) {
                        sink.success(List.copyOf(f.getNow()));
                    } else {
                        sink.error(new SmtpConnectionException("DNS lookup of addresses for " + name
                                + " failed: " + DnsQueries.describe(done.cause()), done.cause(), null));
                    }
                });
            });
        });
    }

    /**
     * What {@code resolveAll} would answer from the cache, or null when it would do more: an IP literal or a
     * hosts-file name (answered by the resolver itself), nothing cached, a cached failure.
     *
     * @param name as for {@link #resolve}
     * @return the cached addresses in resolve's order, or null
     */
    public List<InetAddress> cached(String name) {
        if (NetUtil.isValidIpV4Address(name) || NetUtil.isValidIpV6Address(name)) {
            return null;
        }
        ResolvedAddressTypes types = resolver.resolvedAddressTypes();
        if (resolver.hostsFileEntriesResolver().address(name, types) != null) {
            return null;
        }
        List<? extends DnsCacheEntry> entries = resolver.resolveCache().get(name, null);
        if (entries == null || entries.isEmpty()) {
            return null;
        }
        List<InetAddress> v4 = new ArrayList<>(entries.size());
        List<InetAddress> v6 = new ArrayList<>(0);
        for (DnsCacheEntry e : entries) {
            if (e.cause() != null) {
                return null;
            }
            (e.address() instanceof Inet4Address ? v4 : v6).add(e.address());
        }
        List<InetAddress> all = new ArrayList<>(entries.size());
        switch (types) {
            case IPV4_ONLY -> all.addAll(v4);
            case IPV6_ONLY -> all.addAll(v6);
            case IPV6_PREFERRED -> {
                all.addAll(v6);
                all.addAll(v4);
            }
            default -> {
                all.addAll(v4);
                all.addAll(v6);
            }
        }
        // Only addresses of a family the resolver does not use: let it decide.
        return all.isEmpty() ? null : List.copyOf(all);
    }
}
