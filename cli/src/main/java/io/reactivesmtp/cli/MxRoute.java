package io.reactivesmtp.cli;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.reactor.DnsMxResolver;
import io.reactivesmtp.reactor.Routing;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.mtasts.DnsTxtLookup;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicies;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import javax.net.ssl.TrustManagerFactory;
import reactor.netty.resources.LoopResources;

/**
 * What MX delivery runs on in the command line: an event loop, a DNS resolver on it that the client also
 * resolves MX host names with, and (unless {@code --no-mta-sts}) the MTA-STS policies, asked through the same DNS
 * server; with {@code --tls-rpt-out} the TLS-RPT counts, written when it is closed. Closed after the client.
 */
final class MxRoute implements AutoCloseable {

    private final LoopResources loops;
    private final DnsMxResolver resolver;
    private final MxOptions.Plan plan;
    /** Null with --no-mta-sts and without --tls-rpt-out. */
    private final DnsTxtLookup txt;
    private final MtaStsPolicies mtaSts;
    /** Null without --tls-rpt-out. */
    private final TlsRptOut tlsRpt;
    private MailAddress tlsRptSender;
    private PrintWriter err;
    private String command;

    private MxRoute(LoopResources loops, DnsMxResolver resolver, MxOptions.Plan plan, DnsTxtLookup txt,
            MtaStsPolicies mtaSts) {
        this.loops = loops;
        this.resolver = resolver;
        this.plan = plan;
        this.txt = txt;
        this.mtaSts = mtaSts;
        this.tlsRpt = plan.tlsRptOut() == null ? null : new TlsRptOut(plan.tlsRptOut());
    }

    /**
     * @param plan what --mx and its options say
     * @param name the event loop's thread name prefix
     * @return the loop, the resolver and the MTA-STS policies
     * @throws IllegalArgumentException naming {@code --mta-sts-trust-pem} when its file cannot be read
     */
    static MxRoute open(MxOptions.Plan plan, String name) {
        LoopResources loops = LoopResources.create(name, 1, true);
        DnsMxResolver resolver = null;
        DnsTxtLookup txt = null;
        try {
            DnsMxResolver.Builder dns = DnsMxResolver.builder(loops.onClient(true).next());
            if (plan.dnsServer() != null) {
                dns.nameServers(plan.dnsServer());
            }
            resolver = dns.build();
            MtaStsPolicies sts = null;
            if (plan.mtaSts() != null || plan.tlsRptOut() != null) {
                txt = plan.dnsServer() != null ? DnsTxtLookup.create(loops.onClient(true).next(), plan.dnsServer())
                        : DnsTxtLookup.create(loops.onClient(true).next());
            }
            if (plan.mtaSts() != null) {
                MtaStsPolicies.Builder b = MtaStsPolicies.builder(txt).addressResolver(txt.addressResolverGroup())
                        .runOn(loops).policyPort(plan.mtaSts().port());
                if (plan.mtaSts().trustPem() != null) {
                    b.trustManagerFactory(trust(plan.mtaSts().trustPem()));
                }
                sts = b.build();
            }
            return new MxRoute(loops, resolver, plan, txt, sts);
        } catch (RuntimeException e) {
            if (txt != null) {
                txt.close();
            }
            if (resolver != null) {
                resolver.close();
            }
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
            throw e;
        }
    }

    /** The CA certificates of a PEM file as a trust manager factory. */
    private static TrustManagerFactory trust(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("--mta-sts-trust-pem: " + ReportPrinter.oneLine(pem.toString())
                        + " holds no certificate");
            }
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("--mta-sts-trust-pem: cannot read CA certificates from "
                    + ReportPrinter.oneLine(pem.toString()) + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param options the client's options, given the loop, the routing and the MX port
     * @return them
     */
    SmtpClientOptions.Builder applyTo(SmtpClientOptions.Builder options) {
        // The client resolves the MX host names through the same resolver, so its DNS server too.
        Routing routing = Routing.mx(resolver).withTlsLevel(plan.level());
        if (tlsRpt != null) {
            routing = routing.withTlsReporting(tlsRpt.counts());
        }
        return options.loopResources(loops).routing(mtaSts == null ? routing : routing.withTlsPolicies(mtaSts))
                .mxPort(plan.port());
    }

    /**
     * With {@code --tls-rpt-out}: who the reports are from, and where to say that they could not be written.
     *
     * @param sender the run's sender, or null for the null sender
     * @param errors where a failure to write them is printed
     * @param commandName the command, to start that line
     */
    void tlsRptFrom(MailAddress sender, PrintWriter errors, String commandName) {
        this.tlsRptSender = sender;
        this.err = errors;
        this.command = commandName;
    }

    /** @return the DNS resolver of MX routing */
    DnsMxResolver resolver() {
        return resolver;
    }

    /** @return the MTA-STS policies, or null with {@code --no-mta-sts} */
    MtaStsPolicies mtaSts() {
        return mtaSts;
    }

    /** @return where the mail goes, for the first line and the summary */
    String describe() {
        return "MX of each recipient domain (port " + plan.port() + "), TLS level " + plan.level().displayName()
                + (plan.level() != io.reactivesmtp.MxTlsLevel.DANE || resolver.trustsAuthenticatedData() ? ""
                        : " (no DANE: the DNS server is not on loopback, its DNSSEC answers are not trusted)")
                + (mtaSts == null ? ", MTA-STS off" : ", MTA-STS on")
                + (plan.dnsServer() == null ? "" : ", DNS server "
                        + new ServerAddress(plan.dnsServer().getHostString(), plan.dnsServer().getPort()));
    }

    @Override
    public void close() {
        if (tlsRpt != null && err != null) {
            try {
                tlsRpt.write(txt, tlsRptSender);
            } catch (IOException | RuntimeException e) {
                ReportPrinter.printError(err, command, "--tls-rpt-out: cannot write " + tlsRpt.file() + ": "
                        + e.getMessage());
            }
        }
        if (txt != null) {
            txt.close();
        }
        resolver.close();
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
    }
}
