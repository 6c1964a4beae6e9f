package io.reactivesmtp.cli;

import io.netty.util.NetUtil;
import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Delivery straight to recipients' MX hosts, for {@code send} and {@code bulk}: {@code --mx}, {@code --tls-level},
 * {@code --no-mta-sts}, {@code --tls-rpt-out} and the hidden test hooks {@code --dns-server}, {@code --mx-port}, {@code --mta-sts-port}
 * and {@code --mta-sts-trust-pem}. A picocli mixin; {@link #check} turns it
 * into a {@link Plan} or a usage error naming the option.
 */
final class MxOptions {

    @Option(names = "--mx", description = "Deliver straight to each recipient domain's MX hosts (port 25).")
    boolean mx;

    @Option(names = "--tls-level", paramLabel = "may|encrypt|dane|verify|secure",
            description = "With --mx, as Postfix's levels: may (TLS when offered, certificate not checked), encrypt "
                    + "(TLS required, not checked), dane (default: DANE where the MX has DNSSEC-validated TLSA "
                    + "records, else may), verify (TLS required, certificate checked against the MX name), secure "
                    + "(checked against the recipient domain).")
    String tlsLevel;

    @Option(names = "--no-mta-sts", description = "With --mx: ignore recipient domains' MTA-STS policies (RFC 8461), "
            + "which are fetched and applied by default: a domain in enforce mode gets mail only at the MX hosts it "
            + "lists, over TLS with a verified certificate.")
    boolean noMtaSts;

    @Option(names = "--tls-rpt-out", paramLabel = "FILE", description = "With --mx: write the run's TLS-RPT "
            + "reports (RFC 8460), one per recipient domain, with the rua each domain publishes in _smtp._tls, as "
            + "one JSON document. Sending them is left to you.")
    Path tlsRptOut;

    // Test hooks: hidden from --help.
    @Option(names = "--mta-sts-port", paramLabel = "PORT", hidden = true,
            description = "With --mx: the port of the MTA-STS policy hosts instead of 443 (test hook).")
    String mtaStsPort;

    @Option(names = "--mta-sts-trust-pem", paramLabel = "FILE", hidden = true,
            description = "With --mx: PEM CA certificates for the policy hosts instead of the JDK's (test hook).")
    Path mtaStsTrustPem;

    @Option(names = "--dns-server", paramLabel = "HOST:PORT", hidden = true,
            description = "With --mx: the DNS server to ask instead of the system's (test hook).")
    String dnsServer;

    @Option(names = "--mx-port", paramLabel = "PORT", hidden = true,
            description = "With --mx: the port of the MX hosts instead of 25 (test hook).")
    String mxPort;

    /**
     * What {@code --mx} and its options say.
     *
     * @param dnsServer the DNS server, or null for the system's
     * @param port the MX port
     * @param level the TLS level
     * @param mtaSts how to fetch MTA-STS policies, or null with {@code --no-mta-sts}
     * @param tlsRptOut where to write the TLS-RPT reports, or null
     */
    record Plan(InetSocketAddress dnsServer, int port, MxTlsLevel level, MtaSts mtaSts, Path tlsRptOut) {
    }

    /**
     * Where MTA-STS policies are fetched from.
     *
     * @param port the policy hosts' port, 443 but in tests
     * @param trustPem the CA certificates the policy hosts must chain to, or null for the JDK's
     */
    record MtaSts(int port, Path trustPem) {
    }

    /**
     * @param relaysGiven whether {@code --server} was given
     * @param tlsGiven whether {@code --tls} was given
     * @return the plan with {@code --mx}, else null
     * @throws IllegalArgumentException naming the option that is wrong or misplaced
     */
    Plan check(boolean relaysGiven, boolean tlsGiven) {
        if (mx && relaysGiven) {
            throw new IllegalArgumentException("--mx and --server exclude each other: give one or the other");
        }
        if (!mx) {
            String stray = dnsServer != null ? "--dns-server" : mxPort != null ? "--mx-port"
                    : tlsLevel != null ? "--tls-level" : noMtaSts ? "--no-mta-sts" : mtaStsPort != null
                    ? "--mta-sts-port" : mtaStsTrustPem != null ? "--mta-sts-trust-pem" : tlsRptOut != null
                    ? "--tls-rpt-out" : null;
            if (stray != null) {
                throw new IllegalArgumentException(stray + " needs --mx");
            }
            return null;
        }
        if (tlsGiven) {
            throw new IllegalArgumentException("--tls is for --server (submission relays); with --mx use "
                    + "--tls-level may|encrypt|dane|verify|secure");
        }
        MxTlsLevel level = MxTlsLevel.DANE;
        if (tlsLevel != null) {
            try {
                level = MxTlsLevel.of(tlsLevel);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--tls-level: expected may, encrypt, dane, verify or secure, not "
                        + CliJson.quote(tlsLevel), e);
            }
        }
        if (noMtaSts && (mtaStsPort != null || mtaStsTrustPem != null)) {
            throw new IllegalArgumentException((mtaStsPort != null ? "--mta-sts-port" : "--mta-sts-trust-pem")
                    + " and --no-mta-sts exclude each other");
        }
        MtaSts sts = noMtaSts ? null : new MtaSts(mtaStsPort == null ? 443 : port(mtaStsPort, "--mta-sts-port"),
                mtaStsTrustPem);
        return new Plan(dnsServer == null ? null : dnsServer(dnsServer),
                mxPort == null ? SmtpClientOptions.DEFAULT_MX_PORT : port(mxPort, "--mx-port"), level, sts, tlsRptOut);
    }

    /** {@code --dns-server}: HOST:PORT with an IP address, so that finding the DNS server needs no DNS. */
    private static InetSocketAddress dnsServer(String text) {
        ServerAddress a;
        try {
            a = ServerAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--dns-server: " + e.getMessage(), e);
        }
        InetAddress ip = NetUtil.createInetAddressFromIpAddressString(a.host());
        if (ip == null) {
            throw new IllegalArgumentException("--dns-server: " + CliJson.quote(text)
                    + " must name an IP address, not a host name, e.g. 127.0.0.1:5353");
        }
        return new InetSocketAddress(ip, a.port());
    }

    /** {@code --mx-port}, {@code --mta-sts-port}: 1 to 65535. */
    private static int port(String text, String option) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
            throw new IllegalArgumentException(option + " must be a port number 1-65535, not " + CliJson.quote(text));
        }
        return Integer.parseInt(text);
    }
}
