package io.reactivesmtp.spring;

import io.reactivesmtp.Credentials;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.TokenProvider;
import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.RateLimit;
import io.reactivesmtp.reactor.RetryPolicy;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Turns {@code spring.mail.*} and {@code reactive-smtp.*} into {@link SmtpClientOptions}. Every value is checked by
 * the library's builders when it is set, so a bad one fails the application's start with a message naming the key.
 */
final class SmtpClientOptionsFactory {

    private static final Log LOG = LogFactory.getLog(SmtpClientOptionsFactory.class);

    /** The JavaMail keys of {@code spring.mail.properties} that mean something here. */
    private static final Set<String> KNOWN_MAIL_KEYS = Set.of("mail.smtp.ssl.enable", "mail.smtp.starttls.enable",
            "mail.smtp.starttls.required", "mail.smtp.auth", "mail.smtp.connectiontimeout", "mail.smtp.timeout",
            "mail.smtp.writetimeout", "mail.smtp.localhost");

    private SmtpClientOptionsFactory() {
    }

    /**
     * @param mail the spring.mail keys; its host must be set
     * @param smtp the reactive-smtp keys
     * @param tokens the application's token provider for OAuth 2.0, or null
     * @return a builder the customizers may change further
     * @throws IllegalArgumentException naming the key whose value is wrong
     */
    static SmtpClientOptions.Builder create(SpringMailProperties mail, ReactiveSmtpProperties smtp, TokenProvider tokens) {
        Map<String, String> javaMail = mail.getProperties();
        List<String> ignored = new ArrayList<>();
        for (String key : javaMail.keySet()) {
            if (!KNOWN_MAIL_KEYS.contains(key)) {
                ignored.add(key);
            }
        }
        if (!ignored.isEmpty()) {
            // Keys only: a value could be a secret.
            LOG.warn("spring.mail.properties keys not used by reactive-smtp: " + ignored);
        }
        TlsPolicy policy = tlsPolicy(mail, smtp);
        int port = mail.getPort() != null ? mail.getPort() : policy == TlsPolicy.IMPLICIT ? 465 : 587;
        SmtpClientOptions.Builder b = SmtpClientOptions.builder()
                .relay(mail.getHost(), port)
                .session(session(mail, smtp, policy, tokens));
        set("reactive-smtp.event-loop-threads", smtp.getEventLoopThreads(), b::eventLoopThreads);
        set("reactive-smtp.max-in-flight", smtp.getMaxInFlight(), b::maxInFlight);
        set("reactive-smtp.max-in-flight-per-destination", smtp.getMaxInFlightPerDestination(),
                b::maxInFlightPerDestination);
        b.pool(pool(smtp.getPool()));
        if (smtp.getRateLimit().getPerSecond() != null) {
            b.rateLimit(rateLimit(smtp.getRateLimit()));
        }
        b.pacing(pacing(smtp.getPacing()));
        if (smtp.getRetry().getMaxAttempts() != null) {
            b.retry(retry(smtp.getRetry()));
        }
        ReactiveSmtpProperties.Dkim dkim = smtp.getDkim();
        if (dkim.getDomain() != null || dkim.getSelector() != null || dkim.getPrivateKey() != null) {
            b.dkim(dkimSigner(dkim));
        }
        return b;
    }

    /** The policy asked for, or what spring.mail says; REQUIRED when nothing says anything (never lowered). */
    static TlsPolicy tlsPolicy(SpringMailProperties mail, ReactiveSmtpProperties smtp) {
        if (smtp.getTls().getPolicy() != null) {
            return smtp.getTls().getPolicy();
        }
        if ("smtps".equalsIgnoreCase(mail.getProtocol())
                || Boolean.parseBoolean(mail.getProperties().get("mail.smtp.ssl.enable"))) {
            return TlsPolicy.IMPLICIT;
        }
        return TlsPolicy.REQUIRED;
    }

    private static SmtpSessionOptions session(SpringMailProperties mail, ReactiveSmtpProperties smtp, TlsPolicy policy,
                                              TokenProvider tokens) {
        SmtpSessionOptions.Builder s = SmtpSessionOptions.builder().tls(tls(smtp.getTls(), policy));
        Map<String, String> javaMail = mail.getProperties();
        String helo = smtp.getHeloName() != null ? smtp.getHeloName() : javaMail.get("mail.smtp.localhost");
        set("reactive-smtp.helo-name", helo, s::heloName);
        set("reactive-smtp.timeout", smtp.getTimeout(), s::allTimeouts);
        Duration reply = millis(javaMail, "mail.smtp.timeout");
        if (smtp.getTimeout() == null && reply != null) {
            for (SmtpPhase phase : SmtpPhase.values()) {
                s.timeout(phase, reply);
            }
        }
        set("spring.mail.properties[mail.smtp.connectiontimeout]", millis(javaMail, "mail.smtp.connectiontimeout"),
                t -> s.timeout(SmtpPhase.CONNECT, t));
        set("spring.mail.properties[mail.smtp.writetimeout]", millis(javaMail, "mail.smtp.writetimeout"),
                t -> s.timeout(SmtpPhase.DATA_BLOCK, t));
        s.allowAuthWithoutTls(smtp.isAllowAuthWithoutTls());
        Credentials credentials = credentials(mail, smtp, tokens);
        if (credentials != null) {
            s.credentials(credentials);
        }
        return build("spring.mail / reactive-smtp", s::build);
    }

    private static Credentials credentials(SpringMailProperties mail, ReactiveSmtpProperties smtp, TokenProvider tokens) {
        String user = mail.getUsername();
        if (user == null || user.isEmpty()) {
            if (mail.getPassword() != null && !mail.getPassword().isEmpty()) {
                throw new IllegalArgumentException("spring.mail.password is set but spring.mail.username is not");
            }
            return null;
        }
        Credentials c;
        if (tokens != null) {
            if (mail.getPassword() != null && !mail.getPassword().isEmpty()) {
                throw new IllegalArgumentException("spring.mail.password is set and a TokenProvider bean exists:"
                        + " use one of them (the token provider means OAuth 2.0 with XOAUTH2 or OAUTHBEARER)");
            }
            c = Credentials.oauth2(user, tokens);
        } else if (mail.getPassword() == null) {
            throw new IllegalArgumentException("spring.mail.username is set but neither spring.mail.password nor a"
                    + " TokenProvider bean is");
        } else {
            c = Credentials.password(user, mail.getPassword());
        }
        return smtp.getAuthMechanism() == null ? c : c.withMechanism(smtp.getAuthMechanism());
    }

    private static TlsOptions tls(ReactiveSmtpProperties.Tls tls, TlsPolicy policy) {
        TlsOptions.Builder t = TlsOptions.builder().policy(policy);
        if (tls.isInsecureTrustAllCertificates()) {
            if (tls.getTrustPem() != null) {
                throw new IllegalArgumentException("reactive-smtp.tls.trust-pem and"
                        + " reactive-smtp.tls.insecure-trust-all-certificates exclude each other");
            }
            LOG.warn("reactive-smtp.tls.insecure-trust-all-certificates=true: server certificates are NOT verified");
            t.insecureTrustAllCertificates();
        }
        set("reactive-smtp.tls.trust-pem", tls.getTrustPem(), t::trustPem);
        set("reactive-smtp.tls.server-name", tls.getServerName(), t::serverName);
        if (tls.getClientCertificate() != null || tls.getClientKey() != null) {
            if (tls.getClientCertificate() == null || tls.getClientKey() == null) {
                throw new IllegalArgumentException("reactive-smtp.tls.client-certificate and"
                        + " reactive-smtp.tls.client-key go together: set both or neither");
            }
            set("reactive-smtp.tls.client-certificate", tls.getClientCertificate(),
                    cert -> t.clientCertificate(cert, tls.getClientKey()));
        }
        if (!tls.getProtocols().isEmpty()) {
            set("reactive-smtp.tls.protocols", tls.getProtocols(), p -> t.protocols(p.toArray(String[]::new)));
        }
        return build("reactive-smtp.tls", t::build);
    }

    private static PoolOptions pool(SmtpPoolProperties p) {
        PoolOptions.Builder b = PoolOptions.builder();
        set("reactive-smtp.pool.max-connections-per-destination", p.getMaxConnectionsPerDestination(),
                b::maxConnectionsPerDestination);
        set("reactive-smtp.pool.max-connections", p.getMaxConnections(), b::maxConnections);
        set("reactive-smtp.pool.max-pending-acquires", p.getMaxPendingAcquires(), b::maxPendingAcquires);
        set("reactive-smtp.pool.pending-acquire-timeout", p.getPendingAcquireTimeout(), b::pendingAcquireTimeout);
        set("reactive-smtp.pool.max-messages-per-connection", p.getMaxMessagesPerConnection(),
                b::maxMessagesPerConnection);
        set("reactive-smtp.pool.max-lifetime", p.getMaxLifetime(), b::maxLifetime);
        set("reactive-smtp.pool.max-idle-time", p.getMaxIdleTime(), b::maxIdleTime);
        set("reactive-smtp.pool.idle-allowance", p.getIdleAllowance(), b::idleAllowance);
        set("reactive-smtp.pool.mx-idle-time", p.getMxIdleTime(), b::mxIdleTime);
        if (p.getMaxConnections() != null && p.getIdleAllowance() != null) {
            throw new IllegalArgumentException("reactive-smtp.pool.max-connections and reactive-smtp.pool.idle-allowance"
                    + " exclude each other (the allowance is added to max-in-flight only without max-connections)");
        }
        return build("reactive-smtp.pool", b::build);
    }

    private static Pacing pacing(SmtpPacingProperties p) {
        if (!p.isEnabled()) {
            if (p.getFloor() != null || p.getInitial() != null || p.getQuietPeriod() != null
                    || p.getProviderSuffixes() != null) {
                throw new IllegalArgumentException("reactive-smtp.pacing.enabled=false excludes the other"
                        + " reactive-smtp.pacing.* keys");
            }
            return Pacing.OFF;
        }
        Pacing.Builder b = Pacing.builder();
        set("reactive-smtp.pacing.floor", p.getFloor(), b::floor);
        set("reactive-smtp.pacing.initial", p.getInitial(), b::initial);
        set("reactive-smtp.pacing.quiet-period", p.getQuietPeriod(), b::quietPeriod);
        set("reactive-smtp.pacing.provider-suffixes", p.getProviderSuffixes(), b::providerSuffixes);
        return build("reactive-smtp.pacing", b::build);
    }

    private static RateLimit rateLimit(SmtpRateLimitProperties r) {
        RateLimit.Builder b = RateLimit.builder();
        set("reactive-smtp.rate-limit.per-second", r.getPerSecond(), b::perSecond);
        set("reactive-smtp.rate-limit.burst", r.getBurst(), b::burst);
        set("reactive-smtp.rate-limit.cool-down", r.getCoolDown(), b::coolDown);
        return build("reactive-smtp.rate-limit", b::build);
    }

    private static RetryPolicy retry(SmtpRetryProperties r) {
        RetryPolicy.Builder b = RetryPolicy.builder();
        set("reactive-smtp.retry.max-attempts", r.getMaxAttempts(), b::maxAttempts);
        set("reactive-smtp.retry.first-backoff", r.getFirstBackoff(), b::firstBackoff);
        set("reactive-smtp.retry.max-backoff", r.getMaxBackoff(), b::maxBackoff);
        set("reactive-smtp.retry.multiplier", r.getMultiplier(), b::multiplier);
        set("reactive-smtp.retry.jitter", r.getJitter(), b::jitter);
        set("reactive-smtp.retry.retry-unknown-outcome", r.getRetryUnknownOutcome(), b::retryUnknownOutcome);
        return build("reactive-smtp.retry", b::build);
    }

    private static DkimSigner dkimSigner(ReactiveSmtpProperties.Dkim d) {
        if (d.getDomain() == null || d.getSelector() == null || d.getPrivateKey() == null) {
            throw new IllegalArgumentException("reactive-smtp.dkim needs domain, selector and private-key together;"
                    + " missing: " + (d.getDomain() == null ? "domain " : "") + (d.getSelector() == null ? "selector " : "")
                    + (d.getPrivateKey() == null ? "private-key" : "").trim());
        }
        DkimSigner.Builder b = DkimSigner.builder();
        set("reactive-smtp.dkim.private-key", d.getPrivateKey(), b::key);
        set("reactive-smtp.dkim.domain", d.getDomain(), b::domain);
        set("reactive-smtp.dkim.selector", d.getSelector(), b::selector);
        return build("reactive-smtp.dkim", b::build);
    }

    private static Duration millis(Map<String, String> javaMail, String key) {
        String value = javaMail.get(key);
        if (value == null) {
            return null;
        }
        try {
            return Duration.ofMillis(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("spring.mail.properties[" + key + "] must be milliseconds, got \""
                    + value + "\"", e);
        }
    }

    /** Builds, and names the group of keys when the values do not fit together. */
    private static <T> T build(String keys, java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(keys + ".*: " + e.getMessage(), e);
        }
    }

    /** Sets a value when it is given; a value the builder refuses fails with the key's name in front. */
    private static <T> void set(String key, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }
}
