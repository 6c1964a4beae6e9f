package io.reactivesmtp.reactor;

import reactor.core.publisher.Mono;

/**
 * Finds the TLSA records of an MX host for DANE (RFC 7672). {@link DnsMxResolver} implements it; an
 * {@link MxResolver} that does not cannot give DANE, and {@link io.reactivesmtp.MxTlsLevel#DANE} then behaves as
 * {@link io.reactivesmtp.MxTlsLevel#MAY}. Implementations must not block.
 */
public interface TlsaResolver {

    /**
     * @param host the MX host name, in ASCII
     * @param port the port connected to (25 on the internet)
     * @return the records of {@code _port._tcp.host}; an error (an {@link io.reactivesmtp.SmtpConnectionException})
     *     when DNS did not answer, which DANE must not take for "no records"
     */
    Mono<TlsaAnswer> resolveTlsa(String host, int port);
}
