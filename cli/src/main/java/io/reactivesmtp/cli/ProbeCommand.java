package io.reactivesmtp.cli;

import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.cli.probe.Probe;
import io.reactivesmtp.cli.probe.ProbeJson;
import io.reactivesmtp.cli.probe.ProbeResult;
import io.reactivesmtp.cli.probe.ProbeText;
import io.reactivesmtp.internal.SafeText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
 * }</pre>
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
                    + "required by default, as for send; exit status 4 when the TLS policy cannot be met."
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

    @Option(names = "--server", paramLabel = "HOST:PORT", required = true,
            description = "The SMTP server, e.g. smtp.example.com:587 or [::1]:25.")
    private String server;

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
            ServerAddress target = ServerAddress.parse(server);
            int seconds = timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds;
            if (seconds <= 0) {
                throw new IllegalArgumentException("--timeout-seconds must be a positive integer, not " + seconds);
            }
            probe = Probe.prepare(target.host(), target.port(), target.toString(), tls, trustPem, helo,
                    Duration.ofSeconds(seconds));
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
        out.flush();
        if (result.error() == null) {
            return ExitCodes.OK;
        }
        printError(err, result.error().message().isEmpty() ? result.error().type() : result.error().message());
        return ExitCodes.FAILED;
    }

    private void printError(PrintWriter err, String message) {
        err.println(spec.qualifiedName() + ": " + SafeText.escape(message));
        err.flush();
    }
}
