package io.reactivesmtp.cli.probe;

import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.cli.probe.ProbeResult.CertificateEntry;
import io.reactivesmtp.cli.probe.ProbeResult.Ehlo;
import io.reactivesmtp.cli.probe.ProbeResult.TlsStatus;
import io.reactivesmtp.internal.SafeText;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The text report of {@code probe}, one finding a line; what the server sent is escaped by {@link SafeText}. */
public final class ProbeText {

    private ProbeText() {
    }

    /**
     * @param out where to print
     * @param r what the probe found
     */
    public static void print(PrintWriter out, ProbeResult r) {
        out.println("server:       " + r.server() + " (one connection; only EHLO, STARTTLS and QUIT sent)");
        out.println("tls policy:   " + policyText(r.tlsPolicy()));
        if (r.greeting() != null) {
            List<String> lines = r.greeting().lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                out.println((i == 0 ? "greeting:     " : "              ") + SafeText.escape(lines.get(i)));
            }
        } else {
            out.println("greeting:     none");
        }
        if (r.tlsPolicy() != TlsPolicy.IMPLICIT) {
            printCapabilities(out, "capabilities before TLS", r.capabilities().beforeTls());
        }
        switch (r.tlsStatus()) {
            case ESTABLISHED -> out.printf("tls:          %s %s (%s), certificate chain trusted and host name "
                    + "verified%n", r.tls().protocol(), r.tls().cipherSuite(), r.tls().provider());
            case FAILED -> out.println("tls:          FAILED" + (r.tls().certificates().isEmpty() ? ""
                    : ": the certificate below was not accepted (see error)"));
            case NOT_OFFERED -> out.println("tls:          not offered: the server does not advertise STARTTLS");
            case REFUSED -> out.println("tls:          STARTTLS refused: " + SafeText.escape(r.startTlsRefusal()));
            case DISABLED -> out.println("tls:          not attempted (--tls none)");
            case NOT_REACHED -> out.println("tls:          not reached");
        }
        if (r.tls() != null && !r.tls().certificates().isEmpty()) {
            printChain(out, r.tls().certificates(), r.host());
        }
        if (r.capabilities().afterTls() != null || r.tlsStatus() == TlsStatus.ESTABLISHED) {
            printCapabilities(out, "capabilities after TLS", r.capabilities().afterTls());
        }
        if (r.auth() != null) {
            out.println("auth:         " + (r.auth().isEmpty() ? "none advertised"
                    : SafeText.escape(String.join(" ", r.auth()))));
            out.println("size limit:   " + (r.sizeLimit() != null ? r.sizeLimit() + " bytes"
                    : r.sizeAdvertised() ? "SIZE advertised without a limit" : "not advertised"));
        }
        if (r.error() == null) {
            out.println("result:       OK, TLS policy " + r.tlsPolicy().name().toLowerCase(Locale.ROOT) + " met");
        } else {
            out.printf("error:        %s: %s%n", r.error().type(), SafeText.escape(r.error().message()));
        }
    }

    private static void printChain(PrintWriter out, List<CertificateEntry> chain, String host) {
        out.println("certificates:");
        for (int i = 0; i < chain.size(); i++) {
            CertificateEntry c = chain.get(i);
            out.printf("  [%d] subject: %s%n", i, SafeText.escape(c.subject()));
            out.printf("      issuer:  %s%n", SafeText.escape(c.issuer()));
            out.printf("      valid:   %s to %s (%s)%n", c.notBefore(), c.notAfter(), c.validity());
            String names = SafeText.escape(String.join(", ", c.subjectAltNames()));
            if (c.matchesHost() != null) {
                out.printf("      names:   %s (%s %s)%n", c.subjectAltNames().isEmpty() ? "none" : names,
                        c.matchesHost() ? "matches" : "DOES NOT MATCH", host);
            } else if (!c.subjectAltNames().isEmpty()) {
                out.printf("      names:   %s%n", names);
            }
        }
    }

    private static String policyText(TlsPolicy policy) {
        return switch (policy) {
            case NONE -> "none (TLS not attempted)";
            case OPPORTUNISTIC -> "opportunistic (STARTTLS when offered, certificate verified when used)";
            case REQUIRED -> "required (STARTTLS, certificate and host name verified)";
            case IMPLICIT -> "implicit (TLS from the first byte, certificate and host name verified)";
        };
    }

    private static void printCapabilities(PrintWriter out, String title, Ehlo ehlo) {
        if (ehlo == null) {
            out.println(title + ": none (no EHLO answered)");
            return;
        }
        if (!ehlo.extended()) {
            out.println(title + ": none (EHLO refused, HELO " + SafeText.escape(ehlo.serverName()) + ")");
            return;
        }
        out.println(title + " (EHLO " + SafeText.escape(ehlo.serverName()) + "):");
        for (String line : ehlo.keywords()) {
            out.println("  " + SafeText.escape(line));
        }
    }
}
