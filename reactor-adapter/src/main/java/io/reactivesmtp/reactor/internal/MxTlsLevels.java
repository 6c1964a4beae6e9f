package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.MxTlsLevel;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpNoMailExchangerException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.MxHost;
import io.reactivesmtp.reactor.MxTlsPolicy;
import io.reactivesmtp.reactor.MxTlsPolicySource;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.TlsaAnswer;
import io.reactivesmtp.reactor.TlsaResolver;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Decides, per recipient domain and MX host, the TLS level of MX routing and the session options that carry it
 * out (RFC 7672 for DANE, RFC 8461 for policies, Postfix's levels): DANE where validated TLSA records exist
 * for a host of a DNSSEC-validated MX answer, else an enforced policy, else the configured level. Hosts that
 * must not be used (a failed TLSA lookup, a host an enforced policy does not list) are left out, and when none is left the first reason is the error; the
 * level {@code may} adds a plaintext retry of the same host behind each host, used only after a failed TLS
 * handshake. A policy in mode testing puts a verified session to each listed host first (what enforce would
 * do, for TLS-RPT), then the level's. Each key carries what TLS-RPT reports its sessions under. Keys of the levels
 * that do not authenticate the server name ({@code may} and its plaintext retry, {@code encrypt}, also DANE's
 * encrypt-only case of TLSA records none of which is usable) are marked {@link DestinationKey#sharingByAddress()}:
 * the sender binds them to the host's addresses, so MX hosts that are one server share sessions. Internal: not part
 * of the API.
 */
public final class MxTlsLevels {

    /** Options built per TLSA set or per domain are kept, up to this many, then all dropped at once. */
    private static final int MAX_BUILT = 10_000;

    private final SmtpClientOptions options;
    private final MxTlsLevel level;
    private final MxTlsPolicySource policies;
    /** Null when the MX resolver cannot give TLSA records: DANE then finds none. */
    private final TlsaResolver tlsa;
    private final SmtpSessionOptions may;
    private final SmtpSessionOptions plaintext;
    private final SmtpSessionOptions encrypt;
    private final SmtpSessionOptions verify;
    private final ConcurrentHashMap<Object, Mono<SmtpSessionOptions>> built = new ConcurrentHashMap<>();

    /**
     * Builds the fixed levels' options at once (reads the PEM files of the session's TLS options): call it at
     * configuration time.
     *
     * @param options the client's options, MX routing
     */
    public MxTlsLevels(SmtpClientOptions options) {
        this.options = options;
        this.level = options.routing().mxTlsLevel();
        this.policies = options.routing().mxTlsPolicies();
        this.tlsa = options.routing().mxResolver().filter(r -> r instanceof TlsaResolver)
                .map(r -> (TlsaResolver) r).orElse(null);
        this.may = session(base().policy(TlsPolicy.OPPORTUNISTIC).insecureTrustAllCertificates());
        this.plaintext = session(base().policy(TlsPolicy.NONE));
        this.encrypt = session(base().policy(TlsPolicy.REQUIRED).insecureTrustAllCertificates());
        this.verify = session(base().policy(TlsPolicy.REQUIRED));
    }

    /** The user's TLS options (trust, protocols, provider, client certificate) without a relay's server name. */
    private TlsOptions.Builder base() {
        return options.session().tls().mutate().serverName(null);
    }

    private SmtpSessionOptions session(TlsOptions.Builder tls) {
        return options.session().mutate().tls(tls.build()).build();
    }

    /**
     * @param domain the recipient domain, lower case
     * @param hosts its MX hosts in the order to try them
     * @return the destinations to try in order, each with its TLS status
     */
    public Mono<List<DestinationKey>> candidates(String domain, List<MxHost> hosts) {
        return Mono.defer(() -> TlsRptSessions.policyOf(policies, domain))
                .onErrorMap(e -> !(e instanceof SmtpException), e -> new SmtpConnectionException(
                        "no TLS policy for " + domain + ": " + e.getMessage(), e, null))
                .flatMap(policy -> {
                    List<SmtpException> refused = new ArrayList<>();
                    return Flux.fromIterable(hosts)
                            .concatMap(h -> forHost(domain, h, policy)
                                    .map(keys -> recordMxDnssec(keys, h.dnssecValidated()))
                                    .onErrorResume(SmtpException.class, e -> {
                                        refused.add(e);
                                        return Mono.empty();
                                    }))
                            .concatMapIterable(keys -> keys)
                            .collectList()
                            .flatMap(keys -> !keys.isEmpty() ? Mono.just(keys) : Mono.error(refused.isEmpty()
                                    ? new SmtpNoMailExchangerException("no mail exchanger for " + domain)
                                    : refused.get(0)));
                });
    }

    /**
     * The candidates {@link #candidates} would give, computed at once, when nothing needs a lookup or a build: no
     * policy source (MTA-STS), no TLSA lookup (not DANE, or no host of a DNSSEC-validated answer), not level
     * {@code secure} (its options are built per domain, off the event loop). MX routing asks this for every message.
     *
     * @param domain the recipient domain, lower case
     * @param hosts its MX hosts in the order to try them
     * @return the destinations to try in order, as {@link #candidates} would give them, or null: ask that
     */
    public List<DestinationKey> candidatesNow(String domain, List<MxHost> hosts) {
        if (!computableNow() || hosts.isEmpty()) {
            return null;
        }
        TlsRptTarget rpt = TlsRptSessions.noPolicy(domain); // what policyOf gives for a source without policies
        List<DestinationKey> keys = new ArrayList<>(2 * hosts.size());
        for (MxHost h : hosts) {
            if (level == MxTlsLevel.DANE && tlsa != null && h.dnssecValidated()) {
                return null;
            }
            keys.addAll(recordMxDnssec(levelKeys(domain, h.host(), rpt), h.dnssecValidated()));
        }
        return keys;
    }

    /**
     * @return whether {@link #candidatesNow} can give candidates at all (it still gives none for a host that needs a
     *     TLSA lookup): no policy source, not level {@code secure}
     */
    public boolean computableNow() {
        return policies == MxTlsPolicySource.NONE && level != MxTlsLevel.SECURE;
    }

    private Mono<List<DestinationKey>> forHost(String domain, MxHost mx, TlsRptSessions.DomainPolicy policy) {
        String host = mx.host();
        if (level != MxTlsLevel.DANE || tlsa == null || !mx.dnssecValidated()) {
            // RFC 7672 §2.2.1: a host named by an MX answer that was not DNSSEC-validated could be an attacker's,
            // and so could its TLSA records: DANE does not apply (nor is TLSA asked for, as in Postfix).
            return byPolicy(domain, host, policy);
        }
        int port = options.mxPort();
        return tlsa.resolveTlsa(host, port)
                .onErrorMap(e -> new SmtpConnectionException("DANE: the TLSA lookup for _" + port + "._tcp." + host
                        + " failed (" + e.getMessage() + "); MX host " + host + " of " + domain + " is not used,"
                        + " since without the answer it is unknown whether it requires authenticated TLS", e, null))
                .flatMap(answer -> {
                    if (answer.status() != TlsaAnswer.Status.VALIDATED) {
                        return byPolicy(domain, host, policy); // unvalidated TLSA counts as none (RFC 7672 §2.2)
                    }
                    if (!answer.hasUsable()) {
                        // RFC 7672 §2.2: TLSA records, none usable: TLS still mandatory, without authentication.
                        return Mono.just(List.of(key(domain, host, encrypt, MxTlsLevel.ENCRYPT, MxTlsStatus.Source.DANE,
                                TlsRptSessions.tlsa(domain, host, answer.records())).sharingByAddress()));
                    }
                    return built(List.of(host, answer.records()), () -> session(base().policy(TlsPolicy.REQUIRED)
                            .daneTrust(answer.records())))
                            .map(s -> List.of(key(domain, host, s, MxTlsLevel.DANE, MxTlsStatus.Source.DANE,
                                    TlsRptSessions.tlsa(domain, host, answer.records()))));
                });
    }

    /** Each key's status says whether the MX answer was DNSSEC-validated (why DANE did or did not apply). */
    private static List<DestinationKey> recordMxDnssec(List<DestinationKey> keys, boolean validated) {
        List<DestinationKey> recorded = new ArrayList<>(keys.size());
        for (DestinationKey k : keys) {
            recorded.add(k.withMxTls(k.mxTls().withMxDnssecValidated(validated)));
        }
        return recorded;
    }

    /** Without DANE: an enforced policy, else the configured level (first tried verified under a testing one). */
    private Mono<List<DestinationKey>> byPolicy(String domain, String host, TlsRptSessions.DomainPolicy found) {
        MxTlsPolicy policy = found.policy();
        TlsRptTarget rpt = found.target();
        if (policy != null && policy.mode() == MxTlsPolicy.Mode.ENFORCE) {
            if (!policy.matches(host)) {
                return Mono.error(new SmtpTlsException("MX host " + host + " of " + domain + " is not listed in its "
                        + policy.source() + " policy " + policy.mxPatterns() + " (mode enforce): not used", null));
            }
            return level == MxTlsLevel.SECURE ? secure(domain, host, policy.source(), rpt)
                    : Mono.just(List.of(key(domain, host, verify, MxTlsLevel.VERIFY, policy.source(), rpt)));
        }
        if (policy != null && policy.matches(host) && (level == MxTlsLevel.MAY || level == MxTlsLevel.DANE
                || level == MxTlsLevel.ENCRYPT)) {
            // Mode testing (RFC 8461 §5): try as enforce would, and report; when that fails, deliver at the
            // routing's level, its sessions not reported again.
            DestinationKey verified = key(domain, host, verify, MxTlsLevel.VERIFY, policy.source(), rpt);
            return byLevel(domain, host, null).map(keys -> {
                List<DestinationKey> all = new ArrayList<>(List.of(verified));
                all.addAll(keys);
                return all;
            });
        }
        // A host a testing policy does not list is not one its TLS-RPT counts (enforce would not connect to it).
        return byLevel(domain, host, policy != null && !policy.matches(host) ? null : rpt);
    }

    /** The routing's level, without a policy. */
    private Mono<List<DestinationKey>> byLevel(String domain, String host, TlsRptTarget rpt) {
        return level == MxTlsLevel.SECURE ? secure(domain, host, MxTlsStatus.Source.CONFIGURED, rpt)
                : Mono.just(levelKeys(domain, host, rpt));
    }

    /** The routing's level other than {@code secure}, without a policy. */
    private List<DestinationKey> levelKeys(String domain, String host, TlsRptTarget rpt) {
        switch (level) {
            case ENCRYPT:
                return List.of(key(domain, host, encrypt, MxTlsLevel.ENCRYPT, MxTlsStatus.Source.CONFIGURED, rpt)
                        .sharingByAddress());
            case VERIFY:
                return List.of(key(domain, host, verify, MxTlsLevel.VERIFY, MxTlsStatus.Source.CONFIGURED, rpt));
            case SECURE:
                throw new IllegalStateException("level secure builds its options per domain: see byLevel");
            default: // MAY, and DANE without TLSA
                DestinationKey tls = key(domain, host, may, MxTlsLevel.MAY, MxTlsStatus.Source.NONE, rpt).sharingByAddress();
                return List.of(tls, new DestinationKey(host, options.mxPort(), plaintext,
                        local(), tls.mxTls(), true, rpt).sharingByAddress());
        }
    }

    /** Verified against the recipient domain (Postfix's nexthop match), not the MX name DNS gave. */
    private Mono<List<DestinationKey>> secure(String domain, String host, MxTlsStatus.Source source,
            TlsRptTarget rpt) {
        return built(List.of("secure", domain), () -> session(base().policy(TlsPolicy.REQUIRED).serverName(domain)))
                .map(s -> List.of(key(domain, host, s, MxTlsLevel.SECURE, source, rpt)));
    }

    private DestinationKey key(String domain, String host, SmtpSessionOptions session, MxTlsLevel reached,
            MxTlsStatus.Source source, TlsRptTarget rpt) {
        return new DestinationKey(host, options.mxPort(), session, local(), MxTlsStatus.of(domain, host, reached, source),
                false, rpt);
    }

    private InetSocketAddress local() {
        return options.localAddress().orElse(null);
    }

    /**
     * Options built off the event loop (building reads PEM files and makes a TLS context), once per cache key: a
     * bulk send to one domain builds them once.
     */
    private Mono<SmtpSessionOptions> built(Object cacheKey, java.util.function.Supplier<SmtpSessionOptions> build) {
        if (built.size() > MAX_BUILT) {
            built.clear();
        }
        return built.computeIfAbsent(cacheKey, k -> Mono.fromSupplier(build)
                .subscribeOn(Schedulers.boundedElastic())
                .doOnError(e -> built.remove(k))
                .cache())
                .onErrorMap(IllegalArgumentException.class, e -> new SmtpTlsException("cannot set up TLS for "
                        + cacheKey + ": " + e.getMessage(), e));
    }
}
