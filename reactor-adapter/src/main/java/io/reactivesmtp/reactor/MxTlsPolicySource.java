package io.reactivesmtp.reactor;

import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Where MX routing gets a recipient domain's {@link MxTlsPolicy}: the seam for MTA-STS (RFC 8461) or for
 * policies the user configures. {@link #NONE}, the default of {@link Routing#mx(MxResolver)}, has none.
 *
 * <p>The Mono is asked once per message and recipient domain, so an implementation caches. An error fails the
 * domain's delivery (a typed {@link io.reactivesmtp.SmtpException} is passed on as it is): an implementation that
 * cannot get a policy it had cached in enforce mode must give the cached one, never an empty answer (RFC 8461
 * §5.1: a failed refresh does not downgrade). Implementations must not block.
 */
@FunctionalInterface
public interface MxTlsPolicySource {

    /** No policy for any domain. */
    MxTlsPolicySource NONE = domain -> Mono.just(Optional.empty());

    /**
     * @param asciiDomain the recipient domain, lower case, in A-label form
     * @return its policy, or empty when it has none
     */
    Mono<Optional<MxTlsPolicy>> policy(String asciiDomain);
}
