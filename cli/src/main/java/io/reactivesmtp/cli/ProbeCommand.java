package io.reactivesmtp.cli;

import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.cli.probe.MxProbe;
import io.reactivesmtp.cli.probe.MxProbeResult;
import io.reactivesmtp.cli.probe.MxProbeText;
import io.reactivesmtp.cli.probe.Probe;
import io.reactivesmtp.cli.probe.ProbeJson;
import io.reactivesmtp.cli.probe.ProbeResult;
import io.reactivesmtp.cli.probe.ProbeResult.ProbeError;
import io.reactivesmtp.cli.probe.ProbeText;
import io.reactivesmtp.internal.SafeText;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.io.PrintWriter;
import java.net.IDN;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code reactive-smtp probe}: connects to one SMTP server and reports what it offers, without sending any
 * mail: its greeting, its EHLO capabilities before and after TLS, the TLS protocol, cipher suite and the
 * certificate chain it presented (subject, issuer, validity, names and whether they match the host name), its
 * AUTH mechanisms and SIZE limit.
 *
 * <pre>{@code
 * reactive-smtp probe --server HOST:PORT [--tls none|opportunistic|required|implicit] [--trust-pem FILE]
 *      [--helo NAME] [--timeout-seconds N] [--json]
 * reactive-smtp probe --mx DOMAIN [--tls-level may|encrypt|dane|verify|secure] [--no-mta-sts] [--trust-pem FILE]
 *      [--helo NAME] [--timeout-seconds N] [--json]
 * }</pre>
 *
 * <p>With {@code --mx DOMAIN} it looks at a recipient domain as MX delivery would ({@link MxProbe}): the MX
 * hosts and whether the MX answer was DNSSEC-validated, the MTA-STS policy, each host's TLSA records, and the
 * TLS level each host reaches, probing each host once under its level's rules. Exit 4 when no host is reached.
 *
 * <p>TLS is {@code required} by default, as for {@code send}: the probe answers "would {@code send} work with
 * these options?", and exits 4 when the TLS policy cannot be met (no STARTTLS, STARTTLS refused, handshake
 * failed, untrusted certificate or a host name it was not issued for).
 *
 * <p>One connection, and nothing but EHLO (HELO when EHLO is refused), STARTTLS and QUIT is sent: never MAIL,
 * never AUTH. The work is {@link Probe}'s; the JSON object ({@code --json}) is a {@link ProbeResult}, whose Javadoc
 * shows it. Per-phase timeouts are 30 seconds unless {@code --timeout-seconds} says otherwise (core's defaults are
 * minutes, suited to sending rather than to a quick look).
 */
@Command(name = "probe",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Show what an SMTP server offers, without sending mail: greeting, EHLO capabilities before and "
                    + "after TLS, TLS protocol and cipher, the certificate chain (subject, issuer, validity, host "
                    + "name match), AUTH mechanisms and SIZE limit.",
            "One connection; only EHLO (or HELO), STARTTLS and QUIT are sent, never MAIL or AUTH. TLS is "
                    + "required by default, as for send; exit status 4 when the TLS policy cannot be met.",
            "probe --mx DOMAIN: the domain's MX hosts (and whether DNSSEC validated them), its MTA-STS policy, "
                    + "each host's TLSA records and the TLS level (--tls-level) each host reaches, one connection "
                    + "per host; exit status 4 when no host is reached."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:probed, and the TLS policy was met",
            ExitCodes.USAGE_TEXT,
            "4:TLS policy not met (no STARTTLS, refused, handshake or certificate failed), or the server could "
                    + "not be probed (connection, timeout, greeting or EHLO refused)"
        })
public final class ProbeCommand implements Callable<Integer> {

    /** The per-phase timeout of a probe unless --timeout-seconds is given. */
    static final int DEFAULT_TIMEOUT_SECONDS = 30;

    @Spec
    private CommandSpec spec;

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "The SMTP server, e.g. smtp.example.com:587 or [::1]:25.")
    private String server;

    @Mixin
    private MxOptions mxOptions;

    @Parameters(arity = "0..1", paramLabel = "DOMAIN", description = "With --mx: the recipient domain to look at.")
    private String domain;

    @Option(names = "--tls", paramLabel = "none|opportunistic|required|implicit", defaultValue = "required",
            converter = SendCommand.TlsPolicyConverter.class,
            description = "none: no TLS (capabilities only); opportunistic: STARTTLS when offered; required: "
                    + "STARTTLS or exit 4; implicit: TLS from the first byte (port 465). Default: required, "
                    + "as for send.")
    private TlsPolicy tls;

    @Option(names = "--trust-pem", paramLabel = "FILE",
            description = "PEM CA certificates to verify the server against, instead of the JDK trust store.")
    private Path trustPem;

    @Option(names = "--helo", paramLabel = "NAME",
            description = "The name to send in EHLO/HELO. Default: the local address, e.g. [127.0.0.1].")
    private String helo;

    @Option(names = "--timeout-seconds", paramLabel = "N",
            description = "Wait at most N seconds in every phase (connect, greeting, EHLO, STARTTLS, handshake). "
                    + "Default: " + DEFAULT_TIMEOUT_SECONDS + ".")
    private Integer timeoutSeconds;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    /** Creates the command; picocli fills in its options. */
    public ProbeCommand() {
    }

    /**
     * Validates the options, probes the server and prints what it found.
     *
     * @return 0 when the TLS policy was met, 4 when it was not or the server could not be probed, 2 for a
     *     usage error
     */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Probe probe;
        try {
            MxOptions.Plan plan = mxOptions.check(server != null,
                    spec.commandLine().getParseResult().hasMatchedOption("--tls"));
            if (plan != null || domain != null) {
                return probeMx(plan, out, err);
            }
            if (server == null) {
                throw new IllegalArgumentException("give --server HOST:PORT (a server) or --mx DOMAIN (a domain's "
                        + "MX hosts)");
            }
            ServerAddress target = ServerAddress.parse(server);
            probe = Probe.prepare(target.host(), target.port(), target.toString(), tls, trustPem, helo, timeout());
        } catch (IllegalArgumentException e) {
            printError(err, e.getMessage());
            return ExitCodes.USAGE;
        }
        ProbeResult result = probe.run();
        if (json) {
            out.println(ProbeJson.write(result));
        } else {
            ProbeText.print(out, result);
        }
        return exitStatus(result.error(), out, err);
    }

    /** @return the {@code --timeout-seconds} given, or the default */
    private Duration timeout() {
        int seconds = timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds;
        if (seconds <= 0) {
            throw new IllegalArgumentException("--timeout-seconds must be a positive integer, not " + seconds);
        }
        return Duration.ofSeconds(seconds);
    }

    /** Flushes what was printed; a failed probe's error goes to {@code err}. @return the exit status */
    private int exitStatus(ProbeError error, PrintWriter out, PrintWriter err) {
        out.flush();
        if (error == null) {
            return ExitCodes.OK;
        }
        printError(err, error.message().isEmpty() ? error.type() : error.message());
        return ExitCodes.FAILED;
    }

    /** {@code probe --mx DOMAIN}: checks the domain before any query, then probes its MX hosts. */
    private int probeMx(MxOptions.Plan plan, PrintWriter out, PrintWriter err) {
        if (plan == null) {
            throw new IllegalArgumentException("the domain " + CliJson.quote(domain) + " needs --mx: probe --mx "
                    + "DOMAIN, or probe --server HOST:PORT");
        }
        if (domain == null) {
            throw new IllegalArgumentException("--mx needs a DOMAIN: probe --mx example.com");
        }
        if (plan.tlsRptOut() != null) {
            throw new IllegalArgumentException("--tls-rpt-out is for send and bulk: a probe sends no mail to report");
        }
        String ascii;
        try {
            ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--mx: invalid domain " + CliJson.quote(domain) + ": "
                    + e.getMessage(), e);
        }
        Duration timeout = timeout();
        SmtpSessionOptions.Builder session = SmtpSessionOptions.builder().allTimeouts(timeout);
        try {
            if (helo != null) {
                session.heloName(helo);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--helo: " + e.getMessage(), e);
        }
        try {
            if (trustPem != null) {
                session.tls(TlsOptions.builder().trustPem(trustPem).build());
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--trust-pem: " + e.getMessage(), e);
        }
        MxProbeResult result;
        try (MxRoute route = MxRoute.open(plan, "smtp-probe")) {
            SmtpClientOptions options = route.applyTo(SmtpClientOptions.builder()).session(session.build()).build();
            try {
                result = new MxProbe(route.resolver(), route.mtaSts(), options, timeout).run(ascii.toLowerCase(
                        java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--mx: invalid domain " + CliJson.quote(domain) + ": "
                        + e.getMessage(), e);
            }
        }
        if (json) {
            out.println(ProbeJson.write(result));
        } else {
            MxProbeText.print(out, result);
        }
        return exitStatus(result.error(), out, err);
    }

    private void printError(PrintWriter err, String message) {
        err.println(spec.qualifiedName() + ": " + SafeText.escape(message));
        err.flush();
    }
}
