package io.reactivesmtp.reactor;

import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Finds the mail exchangers of a domain for {@link Routing#mx(MxResolver) MX routing} (RFC 5321 section 5.1).
 *
 * <p>The hosts come back in the order to try them: by preference, shuffled within equal preference; the domain
 * itself (implicit MX) when it has no MX record. A null MX (RFC 7505) or a domain that does not exist is an
 * error, {@link io.reactivesmtp.SmtpPolicyException}. Implementations must not block.
 */
public interface MxResolver {

    /**
     * @param asciiDomain the domain, in A-label (ASCII) form
     * @return the hosts to try, in order
     */
    Mono<List<MxHost>> resolve(String asciiDomain);
}
