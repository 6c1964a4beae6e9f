package io.reactivesmtp.reactor.mtasts;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.reactivesmtp.reactor.DnsMxResolver;
import io.reactivesmtp.reactor.internal.DnsNames;
import io.reactivesmtp.reactor.internal.DnsQueries;
import io.reactivesmtp.reactor.internal.DnsTransports;
import io.reactivesmtp.reactor.internal.mtasts.DnsTxtAnswer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;

/**
 * The {@link TxtLookup} over Netty's non-blocking DNS resolver, on one event loop; also the address resolver for
 * fetching MTA-STS policies from the same DNS servers ({@link #addressResolverGroup()}).
 *
 * <pre>{@code
 * EventLoop loop = LoopResources.create("dns").onClient(true).next();
 * try (DnsTxtLookup dns = DnsTxtLookup.create(loop)) {            // the system's resolv.conf
 *     List<String> txt = dns.txt("_mta-sts.example.com").block(Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>The configured servers are asked in order; SERVFAIL, REFUSED, timeouts and malformed responses go to the
 * next one; when none answers the Mono errors with a retryable {@link io.reactivesmtp.SmtpConnectionException}.
 * Nothing is cached here: {@link MtaStsPolicies} caches policies by their id and max_age. Thread-safe.
 */
public final class DnsTxtLookup implements TxtLookup, AutoCloseable {

    private final DnsNameResolver resolver;
    private final DnsQueries queries;
    private final AddressResolverGroup<InetSocketAddress> addresses;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DnsTxtLookup(EventLoop loop, DnsServerAddressStreamProvider servers, Duration queryTimeout) {
        DnsNameResolverBuilder template = new DnsNameResolverBuilder()
                .nameServerProvider(servers)
                .queryTimeoutMillis(queryTimeout.toMillis())
                // Policy names are always fully qualified: no search domain may be appended.
                .searchDomains(Collections.emptyList())
                .ndots(1);
        this.resolver = DnsTransports.configure(template.copy(), loop, null, null).build();
        this.queries = new DnsQueries(resolver, servers, closed::get);
        this.addresses = DnsTransports.addressResolverGroup(template);
    }

    /**
     * Reads the system's resolver configuration (a file read): create at start-up, not on an event loop.
     *
     * @param loop the event loop the DNS socket lives on
     * @return a lookup asking the system's DNS servers, with {@link DnsMxResolver#DEFAULT_QUERY_TIMEOUT}
     */
    public static DnsTxtLookup create(EventLoop loop) {
        return create(loop, DnsServerAddressStreamProviders.platformDefault(), DnsMxResolver.DEFAULT_QUERY_TIMEOUT);
    }

    /**
     * @param loop the event loop the DNS socket lives on
     * @param servers the DNS servers to ask, in this order; at least one
     * @return a lookup asking these servers, with {@link DnsMxResolver#DEFAULT_QUERY_TIMEOUT}
     */
    public static DnsTxtLookup create(EventLoop loop, InetSocketAddress... servers) {
        if (servers == null || servers.length == 0) {
            throw new IllegalArgumentException("no DNS servers given: expected at least one");
        }
        return create(loop, new SequentialDnsServerAddressStreamProvider(servers),
                DnsMxResolver.DEFAULT_QUERY_TIMEOUT);
    }

    /**
     * @param loop the event loop the DNS socket lives on
     * @param servers which DNS servers to ask for a name
     * @param queryTimeout how long to wait for one server before asking the next; positive
     * @return a lookup
     */
    public static DnsTxtLookup create(EventLoop loop, DnsServerAddressStreamProvider servers, Duration queryTimeout) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(servers, "servers");
        if (queryTimeout == null || queryTimeout.isNegative() || queryTimeout.isZero()) {
            throw new IllegalArgumentException("invalid DNS query timeout " + queryTimeout + ": expected > 0");
        }
        return new DnsTxtLookup(loop, servers, queryTimeout);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the name is empty, too long, or not printable ASCII (at once)
     */
    @Override
    public Mono<List<String>> txt(String name) {
        String canonical = DnsNames.canonical(name, "DNS name");
        return Mono.defer(() -> closed.get()
                ? Mono.error(new IllegalStateException("DnsTxtLookup is closed: cannot look up " + canonical))
                : queries.ask(canonical, DnsRecordType.TXT, response -> DnsTxtAnswer.read(canonical, response)));
    }

    /**
     * @return an address resolver group asking the same DNS servers, for
     *         {@link MtaStsPolicies.Builder#addressResolver(AddressResolverGroup)}; owned by this lookup
     */
    public AddressResolverGroup<InetSocketAddress> addressResolverGroup() {
        return addresses;
    }

    /** Closes the DNS socket and the address group's resolvers; lookups in flight fail. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            resolver.close();
            addresses.close();
        }
    }
}
