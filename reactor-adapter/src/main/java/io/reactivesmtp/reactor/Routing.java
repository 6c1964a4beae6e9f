package io.reactivesmtp.reactor;

import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.reactor.mtasts.TlsRptListener;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an {@link SmtpClient} sends: to one or more relays (submission servers), or straight to each
 * recipient domain's mail exchangers (MX).
 *
 * <p>Relays and MX hosts are tried in order. The next one is tried when a connection cannot be made, TLS
 * fails, or the server greets with a 4xx; a 5xx greeting or anything that happens once the session is ready
 * does not fail over (the next server would most likely say the same, or the message may already be there).
 *
 * <pre>{@code
 * Routing.relay("smtp.example.com", 587);
 * Routing.relays(List.of(InetSocketAddress.createUnresolved("smtp1.example.com", 587),
 *                        InetSocketAddress.createUnresolved("smtp2.example.com", 587)));
 * Routing.mx(resolver);   // recipients grouped by domain, one transaction per domain
 * Routing.mx(resolver).withTlsLevel(MxTlsLevel.VERIFY);   // only to MX hosts with a verified certificate
 * Routing.mx(resolver).withTlsPolicies(mtaStsPolicies).withTlsReporting(tlsReporting);   // MTA-STS, TLS-RPT
 * }</pre>
 *
 * <p>In MX mode the session's {@link io.reactivesmtp.TlsOptions} give trust anchors, protocols, provider and
 * client certificate, and the {@linkplain #mxTlsLevel() TLS level} decides the rest per MX host: whether TLS is
 * required and how the certificate is authenticated (see {@link MxTlsLevel}). The default level is
 * {@link MxTlsLevel#DANE}: authenticated by DNSSEC-validated TLSA records where the MX host publishes them,
 * opportunistic and unauthenticated ({@link MxTlsLevel#MAY}) elsewhere. The level reached per domain is in
 * {@link io.reactivesmtp.SendReport#mxTls()}.
 */
public final class Routing {

    private final List<InetSocketAddress> relays;
    private final MxResolver mxResolver;
    private final MxTlsLevel mxTlsLevel;
    private final MxTlsPolicySource mxTlsPolicies;
    private final TlsRptListener tlsReporting;

    private Routing(List<InetSocketAddress> relays, MxResolver mxResolver) {
        this(relays, mxResolver, MxTlsLevel.DANE, MxTlsPolicySource.NONE, TlsRptListener.NONE);
    }

    private Routing(List<InetSocketAddress> relays, MxResolver mxResolver, MxTlsLevel level,
            MxTlsPolicySource policies, TlsRptListener tlsReporting) {
        this.relays = relays;
        this.mxResolver = mxResolver;
        this.mxTlsLevel = level;
        this.mxTlsPolicies = policies;
        this.tlsReporting = tlsReporting;
    }

    /**
     * @param host the relay's host name or address
     * @param port its port, 1 to 65535
     * @return routing through that relay
     */
    public static Routing relay(String host, int port) {
        return new Routing(List.of(checked(host, port)), null);
    }

    /**
     * @param relays the relays in the order to try them (host strings are used as given, never resolved here)
     * @return routing through the first relay that accepts a session
     */
    public static Routing relays(List<InetSocketAddress> relays) {
        Objects.requireNonNull(relays, "relays");
        if (relays.isEmpty()) {
            throw new IllegalArgumentException("at least one relay is required");
        }
        List<InetSocketAddress> copy = new ArrayList<>();
        for (InetSocketAddress a : relays) {
            Objects.requireNonNull(a, "relay");
            copy.add(checked(a.getHostString(), a.getPort()));
        }
        return new Routing(Collections.unmodifiableList(copy), null);
    }

    /**
     * @param resolver finds each recipient domain's mail exchangers
     * @return direct delivery: recipients grouped by domain, one transaction per domain
     */
    public static Routing mx(MxResolver resolver) {
        return new Routing(List.of(), Objects.requireNonNull(resolver, "resolver"));
    }

    /**
     * @param level the TLS level of sessions to MX hosts; {@link MxTlsLevel#DANE} by default
     * @return MX routing at that level
     * @throws IllegalStateException for relay routing, where {@link io.reactivesmtp.TlsPolicy} decides
     */
    public Routing withTlsLevel(MxTlsLevel level) {
        requireMx("a TLS level");
        return new Routing(relays, mxResolver, Objects.requireNonNull(level, "level"), mxTlsPolicies, tlsReporting);
    }

    /**
     * @param policies where recipient domains' TLS policies come from: an
     *     {@link io.reactivesmtp.reactor.mtasts.MtaStsPolicies} for MTA-STS, or the user's own; none by default
     * @return MX routing that consults them
     * @throws IllegalStateException for relay routing
     */
    public Routing withTlsPolicies(MxTlsPolicySource policies) {
        requireMx("TLS policies");
        return new Routing(relays, mxResolver, mxTlsLevel, Objects.requireNonNull(policies, "policies"), tlsReporting);
    }

    /**
     * @param listener told each new MX session's TLS outcome under the policy it was evaluated against (MTA-STS,
     *     TLSA or none), e.g. a {@link io.reactivesmtp.reactor.mtasts.TlsReporting} for TLS-RPT (RFC 8460); none
     *     by default. Called on event-loop threads: it must not block; what it throws is dropped.
     * @return MX routing that reports to it
     * @throws IllegalStateException for relay routing
     */
    public Routing withTlsReporting(TlsRptListener listener) {
        requireMx("TLS reporting");
        return new Routing(relays, mxResolver, mxTlsLevel, mxTlsPolicies, Objects.requireNonNull(listener, "listener"));
    }

    private void requireMx(String what) {
        if (mxResolver == null) {
            throw new IllegalStateException(what + " applies to MX routing only; relays use TlsPolicy");
        }
    }

    /** @return the TLS level of MX routing ({@link MxTlsLevel#DANE} unless set); unused for relays */
    public MxTlsLevel mxTlsLevel() {
        return mxTlsLevel;
    }

    /** @return who MX routing tells sessions' TLS outcomes; {@link TlsRptListener#NONE} unless set */
    public TlsRptListener tlsReporting() {
        return tlsReporting;
    }

    /** @return where MX routing gets domains' TLS policies; {@link MxTlsPolicySource#NONE} unless set */
    public MxTlsPolicySource mxTlsPolicies() {
        return mxTlsPolicies;
    }

    private static InetSocketAddress checked(String host, int port) {
        if (host == null || host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("invalid relay host \"" + host + "\"");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid relay port " + port + " for host " + host + ": expected 1-65535");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** @return the relays in order (unresolved addresses), empty in MX mode */
    public List<InetSocketAddress> relays() {
        return relays;
    }

    /** @return the MX resolver in MX mode */
    public Optional<MxResolver> mxResolver() {
        return Optional.ofNullable(mxResolver);
    }

    /** @return true in MX mode */
    public boolean isMx() {
        return mxResolver != null;
    }

    @Override
    public String toString() {
        if (mxResolver != null) {
            return "mx (TLS level " + mxTlsLevel.displayName() + ")";
        }
        StringBuilder sb = new StringBuilder("relay ");
        for (int i = 0; i < relays.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(relays.get(i).getHostString()).append(':').append(relays.get(i).getPort());
        }
        return sb.toString();
    }
}
