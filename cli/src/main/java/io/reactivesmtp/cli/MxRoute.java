package io.reactivesmtp.cli;

import io.reactivesmtp.reactor.DnsMxResolver;
import io.reactivesmtp.reactor.Routing;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.time.Duration;
import reactor.netty.resources.LoopResources;

/**
 * What MX delivery runs on in the command line: an event loop, and a DNS resolver on it that the client also
 * resolves MX host names with. Closed after the client.
 */
final class MxRoute implements AutoCloseable {

    private final LoopResources loops;
    private final DnsMxResolver resolver;
    private final MxOptions.Plan plan;

    private MxRoute(LoopResources loops, DnsMxResolver resolver, MxOptions.Plan plan) {
        this.loops = loops;
        this.resolver = resolver;
        this.plan = plan;
    }

    /**
     * @param plan what --mx and its options say
     * @param name the event loop's thread name prefix
     * @return the loop and the resolver
     */
    static MxRoute open(MxOptions.Plan plan, String name) {
        LoopResources loops = LoopResources.create(name, 1, true);
        try {
            DnsMxResolver.Builder dns = DnsMxResolver.builder(loops.onClient(true).next());
            if (plan.dnsServer() != null) {
                dns.nameServers(plan.dnsServer());
            }
            return new MxRoute(loops, dns.build(), plan);
        } catch (RuntimeException e) {
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
            throw e;
        }
    }

    /**
     * @param options the client's options, given the loop, the routing and the MX port
     * @return them
     */
    SmtpClientOptions.Builder applyTo(SmtpClientOptions.Builder options) {
        // The client resolves the MX host names through the same resolver, so its DNS server too.
        return options.loopResources(loops).routing(Routing.mx(resolver).withTlsLevel(plan.level()))
                .mxPort(plan.port());
    }

    /** @return where the mail goes, for the first line and the summary */
    String describe() {
        return "MX of each recipient domain (port " + plan.port() + "), TLS level " + plan.level().displayName()
                + (plan.level() != io.reactivesmtp.MxTlsLevel.DANE || resolver.trustsAuthenticatedData() ? ""
                        : " (no DANE: the DNS server is not on loopback, its DNSSEC answers are not trusted)")
                + (plan.dnsServer() == null ? "" : ", DNS server "
                        + new ServerAddress(plan.dnsServer().getHostString(), plan.dnsServer().getPort()));
    }

    @Override
    public void close() {
        resolver.close();
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
    }
}
