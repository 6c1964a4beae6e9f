package io.reactivesmtp.reactor.internal;

import io.netty.channel.AddressedEnvelope;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStream;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.util.concurrent.Future;
import io.reactivesmtp.SmtpConnectionException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * DNS questions of the MX resolver (and of MTA-STS and TLS-RPT), asked of the configured servers in turn; each
 * answer is parsed into plain values ({@link DnsMxAnswer}, TXT strings) and its buffers released before any Reactor
 * operator sees it.
 */
public final class DnsQueries {

    /** EDNS0 UDP payload size announced with the DO bit (RFC 6891; 1232 avoids fragmentation, DNS flag day 2020). */
    private static final int EDNS_PAYLOAD = 1232;
    /** The DO bit of the OPT record's flags (RFC 3225): asks a validating resolver to say, by the AD bit, that it validated. */
    private static final long DNSSEC_OK = 0x8000;

    private final DnsNameResolver resolver;
    private final DnsServerAddressStreamProvider nameServers;
    private final BooleanSupplier closed;

    /**
     * @param resolver the resolver whose socket asks
     * @param nameServers the servers to ask, in order
     * @param closed whether the owner was closed (then every question fails at once)
     */
    public DnsQueries(DnsNameResolver resolver, DnsServerAddressStreamProvider nameServers, BooleanSupplier closed) {
        this.resolver = resolver;
        this.nameServers = nameServers;
        this.closed = closed;
    }

    /**
     * Asks the configured servers in order until one answers; SERVFAIL, REFUSED and timeouts go to the next.
     *
     * @param domain an absolute domain name without the trailing dot
     * @param type the record type
     * @return the answer, parsed; an {@link SmtpConnectionException} when no server answered
     */
    public Mono<DnsMxAnswer> ask(String domain, DnsRecordType type) {
        return ask(domain, type, response -> DnsMxAnswer.parse(domain, type, response));
    }

    /**
     * Asks the configured servers in order until one answers, as {@link #ask(String, DnsRecordType)} does, and
     * reads the answer with the given reader (any record type: TXT for MTA-STS and TLS-RPT).
     *
     * @param domain an absolute domain name without the trailing dot
     * @param type the record type
     * @param reader reads a NOERROR or NXDOMAIN response into plain values; must not keep or release it; a
     *        runtime exception it throws is a malformed response (the next server is asked)
     * @param <T> what the reader makes of a response
     * @return the answer, read; an {@link SmtpConnectionException} when no server answered
     */
    public <T> Mono<T> ask(String domain, DnsRecordType type, Function<DnsResponse, T> reader) {
        DnsServerAddressStream servers = nameServers.nameServerAddressStream(domain);
        return ask(domain, type, reader, servers, servers.size(), null);
    }

    private <T> Mono<T> ask(String domain, DnsRecordType type, Function<DnsResponse, T> reader,
            DnsServerAddressStream servers, int left, Throwable last) {
        if (closed.getAsBoolean()) {
            return Mono.error(new IllegalStateException("DnsMxResolver is closed: cannot resolve " + domain));
        }
        if (left <= 0) {
            String why = last == null ? "no DNS server configured" : describe(last);
            return Mono.error(new SmtpConnectionException("DNS lookup of " + type.name() + " for " + domain
                    + " failed: " + why, last, null));
        }
        InetSocketAddress server = servers.next();
        return query(domain, type, reader, server)
                .onErrorResume(e -> ask(domain, type, reader, servers, left - 1, e));
    }

    private <T> Mono<T> query(String domain, DnsRecordType type, Function<DnsResponse, T> reader,
            InetSocketAddress server) {
        return Mono.create(sink -> {
            // Absolute name: no search domain may be appended.
            // With an OPT record of our own carrying DO: Netty then adds none of its own. Every question asks,
            // not only TLSA: DANE also needs the MX answer (and the implicit MX's address answer) validated.
            Future<AddressedEnvelope<DnsResponse, InetSocketAddress>> f = resolver.query(server,
                    new DefaultDnsQuestion(domain + ".", type), List.<DnsRecord>of(new DefaultDnsRawRecord("",
                            DnsRecordType.OPT, EDNS_PAYLOAD, DNSSEC_OK, Unpooled.EMPTY_BUFFER)));
            sink.onCancel(() -> f.cancel(false));
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    sink.error(done.cause());
                    return;
                }
                AddressedEnvelope<DnsResponse, InetSocketAddress> envelope = f.getNow();
                // Parsed into plain Java values and released here: nothing reference-counted reaches a Reactor
                // operator, which could drop it (cancel) without releasing.
                T answer;
                try {
                    DnsResponseCode code = envelope.content().code();
                    if (code != DnsResponseCode.NOERROR && code != DnsResponseCode.NXDOMAIN) {
                        // SERVFAIL, REFUSED, ...: this server could not answer; the next one may.
                        sink.error(new IOException("DNS server " + server + " answered " + DnsMxAnswer.rcode(code)));
                        return;
                    }
                    answer = reader.apply(envelope.content());
                } catch (RuntimeException e) {
                    sink.error(new IOException("malformed DNS response from " + server + " for " + type.name()
                            + " " + domain + ": " + e.getMessage(), e));
                    return;
                } finally {
                    envelope.release();
                }
                sink.success(answer);
            });
        });
    }

    /** @param e why a question failed @return a short description of it for an error message */
    public static String describe(Throwable e) {
        if (e instanceof DnsNameResolverTimeoutException) {
            return "timed out (" + e.getMessage() + ")";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
