package io.reactivesmtp.reactor.mtasts;

import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Asks DNS for the TXT records of a name: how {@link MtaStsPolicies} finds {@code _mta-sts.<domain>} and
 * {@link TlsRptRecord#lookup(TxtLookup, String)} finds {@code _smtp._tls.<domain>}. {@link DnsTxtLookup} asks
 * through Netty's non-blocking resolver; tests and applications with their own DNS may pass a lambda.
 */
@FunctionalInterface
public interface TxtLookup {

    /**
     * @param name an absolute DNS name without the trailing dot, e.g. {@code _mta-sts.example.com}
     * @return a cold Mono of the TXT records of the name (each record's strings concatenated, in the order
     *         received); an empty list when the name does not exist or has no TXT record; an error when DNS could
     *         not answer (timeout, SERVFAIL): "no record" and "no answer" must stay apart
     */
    Mono<List<String>> txt(String name);
}
