package io.reactivesmtp.cli.probe;

import io.reactivesmtp.Capabilities;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.cli.probe.ProbeResult.CapabilityLists;
import io.reactivesmtp.cli.probe.ProbeResult.CertificateEntry;
import io.reactivesmtp.cli.probe.ProbeResult.Ehlo;
import io.reactivesmtp.cli.probe.ProbeResult.ProbeError;
import io.reactivesmtp.cli.probe.ProbeResult.Tls;
import io.reactivesmtp.cli.probe.ProbeResult.TlsStatus;
import io.reactivesmtp.internal.TlsHosts;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the recorded replies say: the greeting, the EHLO answers before and after TLS, the answer to STARTTLS and
 * so what became of TLS; then the whole {@link ProbeResult}.
 */
record ProbeFindings(TlsPolicy policy, SmtpReply greeting, Capabilities beforeTls, Capabilities afterTls,
        String startTlsRefusal, TlsStatus tlsStatus, TlsInfo tlsInfo) {

    /**
     * @param exchanges the replies in order, as the {@link ReplyTap} recorded them
     * @param policy the TLS policy
     * @param tlsInfo the established TLS session, or null
     * @return the findings
     */
    static ProbeFindings of(List<ReplyTap.Exchange> exchanges, TlsPolicy policy, TlsInfo tlsInfo) {
        SmtpReply greeting = null;
        Capabilities before = null;
        Capabilities after = null;
        boolean startTlsAccepted = policy == TlsPolicy.IMPLICIT;
        boolean startTlsSent = false;
        String refusal = null;
        for (ReplyTap.Exchange x : exchanges) {
            SmtpReply reply = x.reply();
            if (x.command() == null) {
                greeting = greeting == null ? reply : greeting;
            } else if ((x.command().equals("EHLO") || x.command().equals("HELO")) && reply.isPositive()) {
                Capabilities caps = x.command().equals("EHLO") ? Capabilities.fromEhlo(reply)
                        : Capabilities.none(reply.lines().isEmpty() ? "" : reply.lines().get(0).trim().split(" ")[0]);
                if (startTlsAccepted) {
                    after = caps;
                } else {
                    before = caps;
                }
            } else if (x.command().equals("STARTTLS")) {
                startTlsSent = true;
                if (reply.code() == 220) {
                    startTlsAccepted = true;
                } else {
                    refusal = reply.code() + " " + reply.text();
                }
            }
        }
        TlsStatus status;
        if (policy == TlsPolicy.NONE) {
            status = TlsStatus.DISABLED;
        } else if (tlsInfo != null) {
            status = TlsStatus.ESTABLISHED;
        } else if (startTlsAccepted && (policy == TlsPolicy.IMPLICIT || startTlsSent)) {
            status = TlsStatus.FAILED;
        } else if (refusal != null) {
            status = TlsStatus.REFUSED;
        } else if (before != null && !before.startTls()) {
            status = TlsStatus.NOT_OFFERED;
        } else {
            status = TlsStatus.NOT_REACHED;
        }
        // An EHLO over TLS needs an established session.
        return new ProbeFindings(policy, greeting, before, tlsInfo == null ? null : after, refusal, status, tlsInfo);
    }

    /**
     * @param server the server as the user gave it
     * @param host the host connected to, for matching the certificate
     * @param chain the chain the server presented, leaf first, possibly empty
     * @param error what kept the policy from being met, or null
     * @return the result
     */
    ProbeResult result(String server, String host, List<X509Certificate> chain, Throwable error) {
        Tls tls = null;
        if (tlsStatus == TlsStatus.ESTABLISHED || tlsStatus == TlsStatus.FAILED) {
            List<CertificateEntry> entries = new ArrayList<>();
            Instant now = Instant.now();
            for (X509Certificate c : chain) {
                entries.add(entry(c, entries.isEmpty() ? host : null, now));
            }
            TlsInfo t = tlsInfo;
            tls = new Tls(t == null ? null : t.protocol(), t == null ? null : t.cipherSuite(),
                    t == null ? null : t.provider(), List.copyOf(entries), t != null);
        }
        Optional<Capabilities> last = Optional.ofNullable(afterTls != null ? afterTls : beforeTls);
        OptionalLong size = last.map(Capabilities::maxSize).orElse(OptionalLong.empty());
        return new ProbeResult(server, policy, 1, greeting == null ? null : greetingText(greeting),
                new CapabilityLists(ehlo(beforeTls), ehlo(afterTls)), tlsStatus, tls,
                last.map(c -> List.copyOf(c.authMechanisms())).orElse(null),
                size.isPresent() ? size.getAsLong() : null, error(error),
                TlsHosts.normalizePeerHost(host).toLowerCase(Locale.ROOT), startTlsRefusal,
                last.map(c -> c.supports("SIZE")).orElse(false));
    }

    private static CertificateEntry entry(X509Certificate c, String hostToMatch, Instant now) {
        String validity = now.isBefore(c.getNotBefore().toInstant()) ? "NOT YET VALID"
                : now.isAfter(c.getNotAfter().toInstant()) ? "EXPIRED" : "valid now";
        List<String> names = HostNameMatcher.subjectAltNames(c);
        return new CertificateEntry(c.getSubjectX500Principal().getName(), c.getIssuerX500Principal().getName(),
                c.getNotBefore().toInstant().toString(), c.getNotAfter().toInstant().toString(),
                validity.equals("valid now"), validity, names,
                hostToMatch == null ? null : HostNameMatcher.matches(names, hostToMatch));
    }

    private static Ehlo ehlo(Capabilities caps) {
        if (caps == null) {
            return null;
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : caps.keywords().entrySet()) {
            lines.add(e.getValue().isEmpty() ? e.getKey() : e.getKey() + " " + String.join(" ", e.getValue()));
        }
        return new Ehlo(caps.serverName(), caps.isExtended(), List.copyOf(lines));
    }

    private static String greetingText(SmtpReply greeting) {
        List<String> lines = greeting.lines().isEmpty() ? List.of("") : greeting.lines();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            b.append(i == 0 ? "" : "\n").append(greeting.code()).append(i == lines.size() - 1 ? " " : "-")
                    .append(lines.get(i));
        }
        return b.toString();
    }

    private static ProbeError error(Throwable e) {
        if (e == null) {
            return null;
        }
        return new ProbeError(e.getClass().getSimpleName(), Optional.ofNullable(e.getMessage()).orElse(""),
                e instanceof SmtpException se ? se.isRetryable() : null);
    }
}
