package io.reactivesmtp.cli.probe;

import io.reactivesmtp.cli.probe.MxProbeResult.Host;
import io.reactivesmtp.cli.probe.MxProbeResult.Policy;
import io.reactivesmtp.cli.probe.MxProbeResult.Tlsa;
import io.reactivesmtp.cli.probe.MxProbeResult.TlsaEntry;
import io.reactivesmtp.cli.probe.ProbeResult.CertificateEntry;
import io.reactivesmtp.internal.SafeText;
import java.io.PrintWriter;

/** The text report of {@code probe --mx}, one finding a line; what servers and DNS sent is escaped by {@link SafeText}. */
public final class MxProbeText {

    private MxProbeText() {
    }

    /**
     * @param out where to print
     * @param r what the probe found
     */
    public static void print(PrintWriter out, MxProbeResult r) {
        out.println("domain:       " + r.domain() + " (one connection per MX host; only EHLO, STARTTLS and QUIT sent)");
        out.println("tls level:    " + r.tlsLevel() + (r.dnssecTrusted() ? "" : " (the DNS server is not on loopback:"
                + " its DNSSEC answers are not trusted, no DANE)"));
        if (r.mxDnssecValidated() != null) {
            out.println("mx:           " + (r.mxDnssecValidated() ? "DNSSEC-validated"
                    : "not DNSSEC-validated (DANE does not apply to its hosts, RFC 7672 2.2.1)"));
            for (Host h : r.hosts()) {
                out.println("  " + h.preference() + " " + h.host());
            }
        }
        if (r.mtaSts() != null) {
            out.println("mta-sts:      " + policyText(r.mtaSts()));
        }
        for (Host h : r.hosts()) {
            printHost(out, h);
        }
        if (r.error() == null) {
            out.println("result:       OK, " + r.reachable() + " of " + r.hosts().size()
                    + " MX hosts reached at their TLS level");
        } else {
            out.printf("error:        %s: %s%n", r.error().type(), SafeText.escape(r.error().message()));
        }
    }

    private static String policyText(Policy p) {
        String failure = p.failure() == null ? "" : "; " + SafeText.escape(p.failure());
        return switch (p.status()) {
            case "off" -> "off (--no-mta-sts)";
            case "enforce", "testing" -> "mode " + p.status() + ", id " + SafeText.escape(p.id()) + ", mx "
                    + SafeText.escape(String.join(" ", p.mx())) + ", max_age " + p.maxAgeSeconds() + " s ("
                    + p.source().toLowerCase(java.util.Locale.ROOT) + ")" + failure;
            case "none" -> p.id() != null ? "mode none, id " + SafeText.escape(p.id()) : "none published";
            default -> "none: " + (p.failure() == null ? "lookup failed" : SafeText.escape(p.failure()));
        };
    }

    private static void printHost(PrintWriter out, Host h) {
        out.println("host " + h.host() + " (preference " + h.preference()
                + (h.addresses().isEmpty() ? "" : ", " + String.join(" ", h.addresses())) + "):");
        out.println("  tlsa:       " + tlsaText(h.tlsa()));
        for (TlsaEntry e : h.tlsa().records()) {
            out.printf("    %d %d %d %s (%s)%n", e.usage(), e.selector(), e.matchingType(), e.data(),
                    e.usable() ? "usable" : "unusable");
        }
        if (h.level() != null) {
            out.println("  level:      " + h.level() + " (" + h.source() + "), "
                    + (h.encrypted() ? "encrypted" : "plaintext") + (h.authenticated() ? ", authenticated" : "")
                    + (h.plaintextAfterFailedHandshake() ? ", after a failed TLS handshake" : ""));
        }
        if (h.tlsProtocol() != null) {
            out.println("  tls:        " + h.tlsProtocol() + " " + h.cipherSuite());
        }
        if (!h.certificates().isEmpty()) {
            CertificateEntry leaf = h.certificates().get(0);
            out.println("  certificate: " + SafeText.escape(leaf.subject()) + ", issuer "
                    + SafeText.escape(leaf.issuer()) + ", " + leaf.validity() + (leaf.matchesHost() == null ? ""
                    : leaf.matchesHost() ? ", names match" : ", names DO NOT MATCH " + h.host()));
        }
        if (!h.capabilities().isEmpty()) {
            out.println("  capabilities: " + SafeText.escape(String.join(", ", h.capabilities())));
        }
        out.println(h.error() == null ? "  result:     reached"
                : "  error:      " + h.error().type() + ": " + SafeText.escape(h.error().message()));
    }

    private static String tlsaText(Tlsa t) {
        return switch (t.status()) {
            case "NONE" -> "none";
            case "ERROR" -> "lookup failed: " + SafeText.escape(t.error());
            case "UNVALIDATED" -> t.records().size() + " record(s) without a trusted AD bit (count as none)";
            default -> t.records().size() + " record(s), DNSSEC-validated (AD)"
                    + (t.usedForDane() ? ", used for DANE" : ", not used for DANE");
        };
    }
}
