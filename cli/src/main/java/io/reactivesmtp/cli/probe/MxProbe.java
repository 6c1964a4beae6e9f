package io.reactivesmtp.cli.probe;

import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.cli.probe.MxProbeResult.Host;
import io.reactivesmtp.cli.probe.MxProbeResult.Policy;
import io.reactivesmtp.cli.probe.MxProbeResult.Tlsa;
import io.reactivesmtp.cli.probe.MxProbeResult.TlsaEntry;
import io.reactivesmtp.cli.probe.ProbeResult.ProbeError;
import io.reactivesmtp.cli.probe.ProbeResult.TlsStatus;
import io.reactivesmtp.dane.TlsaRecord;
import io.reactivesmtp.reactor.DnsMxResolver;
import io.reactivesmtp.reactor.MxHost;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.TlsaAnswer;
import io.reactivesmtp.reactor.internal.DestinationKey;
import io.reactivesmtp.reactor.internal.MxTlsLevels;
import io.reactivesmtp.reactor.mtasts.MtaStsLookup;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicies;
import io.reactivesmtp.reactor.mtasts.MtaStsPolicy;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * {@code probe --mx DOMAIN}: what MX delivery to a domain would meet, without sending mail. It resolves the MX
 * hosts (and whether the answer was DNSSEC-validated), looks up the MTA-STS policy and each host's TLSA records,
 * lets MX routing's own rules ({@link MxTlsLevels}) decide each host's TLS level, and probes each host under it
 * with {@link Probe}: connect, EHLO, STARTTLS and the handshake as the level demands, QUIT; never MAIL. When a
 * level has a fallback (a testing policy's verified try, level may's plaintext retry after a failed handshake),
 * the next is tried as delivery would. Blocks: call it from a plain thread.
 */
public final class MxProbe {

    private final DnsMxResolver resolver;
    private final MtaStsPolicies mtaSts;
    private final SmtpClientOptions options;
    private final Duration timeout;

    /**
     * @param resolver the DNS resolver of MX routing
     * @param mtaSts the MTA-STS policies, or null when off
     * @param options MX routing's client options (level, policies, port, session options with timeouts)
     * @param timeout the per-phase timeout, also the bound of each DNS and policy answer's wait
     */
    public MxProbe(DnsMxResolver resolver, MtaStsPolicies mtaSts, SmtpClientOptions options, Duration timeout) {
        this.resolver = resolver;
        this.mtaSts = mtaSts;
        this.options = options;
        this.timeout = timeout;
    }

    /**
     * @param domain the domain in A-labels
     * @return what was found
     * @throws IllegalArgumentException if the domain is not a valid name (before any query)
     */
    public MxProbeResult run(String domain) {
        var lookup = resolver.resolve(domain); // validates the name at once
        String level = options.routing().mxTlsLevel().displayName();
        boolean trusted = resolver.trustsAuthenticatedData();
        List<MxHost> hosts;
        try {
            hosts = new ArrayList<>(lookup.block(bound()));
        } catch (RuntimeException e) {
            return new MxProbeResult(domain, level, trusted, null, null, List.of(), 0, error(e));
        }
        hosts.sort(Comparator.comparingInt(MxHost::preference));
        Policy policy = policy(domain);
        MxTlsLevels levels = new MxTlsLevels(options);
        List<Host> probed = new ArrayList<>();
        int reachable = 0;
        for (MxHost h : hosts) {
            Host host = host(domain, h, levels);
            probed.add(host);
            reachable += host.error() == null ? 1 : 0;
        }
        ProbeError none = reachable > 0 ? null : new ProbeError("Unreachable", "no MX host of " + domain
                + " could be reached at its TLS level", null);
        return new MxProbeResult(domain, level, trusted, hosts.get(0).dnssecValidated(), policy, List.copyOf(probed),
                reachable, none);
    }

    private Duration bound() {
        return timeout.plusSeconds(5);
    }

    private Policy policy(String domain) {
        if (mtaSts == null) {
            return new Policy("off", null, null, null, null, null);
        }
        MtaStsLookup l;
        try {
            l = mtaSts.lookup(domain).block(bound().multipliedBy(2));
        } catch (RuntimeException e) {
            return new Policy("error", null, null, null, null, message(e));
        }
        String failure = l.failureIfAny().map(f -> f.kind() + ": " + f.message()).orElse(null);
        MtaStsPolicy p = l.policyIfAny().orElse(null);
        if (p == null) {
            return new Policy(failure == null ? "none" : "error", null, null, null, l.source().name(), failure);
        }
        return new Policy(p.mode().value(), p.id(), p.mxPatterns(), p.maxAge().toSeconds(), l.source().name(),
                failure);
    }

    private Host host(String domain, MxHost mx, MxTlsLevels levels) {
        String name = mx.host();
        Tlsa tlsa = tlsa(name, mx.dnssecValidated());
        List<String> addresses;
        try {
            addresses = resolver.resolveAddresses(name).block(bound()).stream().map(InetAddress::getHostAddress)
                    .toList();
        } catch (RuntimeException e) {
            return notUsed(mx, List.of(), tlsa, e);
        }
        List<DestinationKey> keys;
        try {
            keys = levels.candidates(domain, List.of(mx)).block(bound().multipliedBy(2));
        } catch (RuntimeException e) {
            return notUsed(mx, addresses, tlsa, e);
        }
        ProbeResult last = null;
        DestinationKey used = null;
        for (DestinationKey key : keys) {
            if (key.isPlaintextRetry() && (last == null || last.tlsStatus() != TlsStatus.FAILED)) {
                break; // level may retries in plaintext only after a failed handshake
            }
            used = key;
            last = Probe.ofMxHost(addresses.get(0), key.port(), name, named(key.session(), name), timeout).run();
            if (last.error() == null) {
                break;
            }
        }
        MxTlsStatus s = used.mxTls().withSession(last.tlsStatus() == TlsStatus.ESTABLISHED, used.isPlaintextRetry());
        ProbeResult.Tls tls = last.tls();
        var caps = last.capabilities().afterTls() != null ? last.capabilities().afterTls()
                : last.capabilities().beforeTls();
        return new Host(name, mx.preference(), addresses, tlsa, s.level().displayName(), s.source().name(),
                s.encrypted(), last.error() == null && s.authenticated(), s.plaintextAfterFailedHandshake(),
                tls == null ? null : tls.protocol(), tls == null ? null : tls.cipherSuite(),
                tls == null ? List.of() : tls.certificates(), caps == null ? List.of() : caps.keywords(),
                last.error());
    }

    private static Host notUsed(MxHost mx, List<String> addresses, Tlsa tlsa, RuntimeException e) {
        return new Host(mx.host(), mx.preference(), addresses, tlsa, null, null, false, false, false, null, null,
                List.of(), List.of(), error(e));
    }

    /** TLSA records are shown whatever the MX answer's status; whether DANE uses them is said beside. */
    private Tlsa tlsa(String host, boolean mxValidated) {
        TlsaAnswer a;
        try {
            a = resolver.resolveTlsa(host, options.mxPort()).block(bound());
        } catch (RuntimeException e) {
            return new Tlsa("ERROR", List.of(), false, message(e));
        }
        HexFormat hex = HexFormat.of();
        List<TlsaEntry> records = new ArrayList<>();
        for (TlsaRecord r : a.records()) {
            records.add(new TlsaEntry(r.usage(), r.selector(), r.matchingType(), hex.formatHex(r.data()),
                    r.isUsable()));
        }
        boolean dane = options.routing().mxTlsLevel() == io.reactivesmtp.MxTlsLevel.DANE && mxValidated
                && a.status() == TlsaAnswer.Status.VALIDATED;
        return new Tlsa(a.status().name(), List.copyOf(records), dane, null);
    }

    /** Connected by address: the MX name is the one TLS checks (unless the level set another, as secure does). */
    private static SmtpSessionOptions named(SmtpSessionOptions session, String mxName) {
        return session.tls().serverName().isPresent() ? session
                : session.mutate().tls(session.tls().mutate().serverName(mxName).build()).build();
    }

    private static ProbeError error(Throwable e) {
        Throwable cause = e.getCause() != null && !(e instanceof SmtpException) && e.getCause() instanceof SmtpException
                ? e.getCause() : e;
        return new ProbeError(cause.getClass().getSimpleName(), message(cause),
                cause instanceof SmtpException se ? se.isRetryable() : null);
    }

    private static String message(Throwable e) {
        return Optional.ofNullable(e.getMessage()).orElse(e.getClass().getSimpleName());
    }
}
