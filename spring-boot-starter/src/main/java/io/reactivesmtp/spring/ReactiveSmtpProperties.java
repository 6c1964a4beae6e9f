package io.reactivesmtp.spring;

import io.reactivesmtp.TlsPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

/**
 * The {@code reactive-smtp.*} keys: what {@code spring.mail.*} cannot say (TLS policy and trust, pool, in-flight
 * bounds, rate limit, retries, DKIM, the health check). Every key is optional; an unset key keeps the library's
 * default.
 */
@ConfigurationProperties("reactive-smtp")
public class ReactiveSmtpProperties {

    /** Whether to create the SmtpClient bean. */
    private boolean enabled = true;

    /** The name sent in EHLO. Default: the local host's name. */
    private String heloName;

    /** Send credentials over a connection without TLS (only for test servers). */
    private boolean allowAuthWithoutTls = false;

    /** The SASL mechanism to use (PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER). Default: the strongest both offer. */
    private String authMechanism;

    /** One timeout for every SMTP phase (connect, greeting, each reply, data). Default: RFC 5321 section 4.5.3.2. */
    private Duration timeout;

    /** Event-loop threads of the client. Default: the library's. */
    private Integer eventLoopThreads;

    /** At most this many messages in flight in sendAll. */
    private Integer maxInFlight;

    /** At most this many messages in flight to one destination in sendAll. */
    private Integer maxInFlightPerDestination;

    private final Tls tls = new Tls();
    @NestedConfigurationProperty
    private final SmtpPoolProperties pool = new SmtpPoolProperties();
    @NestedConfigurationProperty
    private final SmtpRateLimitProperties rateLimit = new SmtpRateLimitProperties();
    @NestedConfigurationProperty
    private final SmtpPacingProperties pacing = new SmtpPacingProperties();
    @NestedConfigurationProperty
    private final SmtpRetryProperties retry = new SmtpRetryProperties();
    private final Dkim dkim = new Dkim();
    private final Health health = new Health();
    private final Observations observations = new Observations();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getHeloName() {
        return heloName;
    }

    public void setHeloName(String heloName) {
        this.heloName = heloName;
    }

    public boolean isAllowAuthWithoutTls() {
        return allowAuthWithoutTls;
    }

    public void setAllowAuthWithoutTls(boolean allowAuthWithoutTls) {
        this.allowAuthWithoutTls = allowAuthWithoutTls;
    }

    public String getAuthMechanism() {
        return authMechanism;
    }

    public void setAuthMechanism(String authMechanism) {
        this.authMechanism = authMechanism;
    }

    public Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    public Integer getEventLoopThreads() {
        return eventLoopThreads;
    }

    public void setEventLoopThreads(Integer eventLoopThreads) {
        this.eventLoopThreads = eventLoopThreads;
    }

    public Integer getMaxInFlight() {
        return maxInFlight;
    }

    public void setMaxInFlight(Integer maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    public Integer getMaxInFlightPerDestination() {
        return maxInFlightPerDestination;
    }

    public void setMaxInFlightPerDestination(Integer maxInFlightPerDestination) {
        this.maxInFlightPerDestination = maxInFlightPerDestination;
    }

    public Tls getTls() {
        return tls;
    }

    public SmtpPoolProperties getPool() {
        return pool;
    }

    public SmtpRateLimitProperties getRateLimit() {
        return rateLimit;
    }

    public SmtpPacingProperties getPacing() {
        return pacing;
    }

    public SmtpRetryProperties getRetry() {
        return retry;
    }

    public Dkim getDkim() {
        return dkim;
    }

    public Health getHealth() {
        return health;
    }

    public Observations getObservations() {
        return observations;
    }

    /** TLS to the server. */
    public static class Tls {

        /**
         * NONE, OPPORTUNISTIC, REQUIRED (STARTTLS) or IMPLICIT. Default: IMPLICIT for spring.mail.protocol=smtps or
         * mail.smtp.ssl.enable=true, REQUIRED otherwise. Never lowered unless set here.
         */
        private TlsPolicy policy;

        /** PEM file of the certificate authorities to trust instead of the JVM's. */
        private Path trustPem;

        /** Trust every certificate and host name: for test servers only, never in production. */
        private boolean insecureTrustAllCertificates = false;

        /** The name the server's certificate must carry, when it differs from spring.mail.host. */
        private String serverName;

        /** PEM certificate chain of a client certificate. */
        private Path clientCertificate;

        /** PEM private key of the client certificate. */
        private Path clientKey;

        /** TLS protocol versions to enable, such as TLSv1.3. */
        private List<String> protocols = new ArrayList<>();

        public TlsPolicy getPolicy() {
            return policy;
        }

        public void setPolicy(TlsPolicy policy) {
            this.policy = policy;
        }

        public Path getTrustPem() {
            return trustPem;
        }

        public void setTrustPem(Path trustPem) {
            this.trustPem = trustPem;
        }

        public boolean isInsecureTrustAllCertificates() {
            return insecureTrustAllCertificates;
        }

        public void setInsecureTrustAllCertificates(boolean insecureTrustAllCertificates) {
            this.insecureTrustAllCertificates = insecureTrustAllCertificates;
        }

        public String getServerName() {
            return serverName;
        }

        public void setServerName(String serverName) {
            this.serverName = serverName;
        }

        public Path getClientCertificate() {
            return clientCertificate;
        }

        public void setClientCertificate(Path clientCertificate) {
            this.clientCertificate = clientCertificate;
        }

        public Path getClientKey() {
            return clientKey;
        }

        public void setClientKey(Path clientKey) {
            this.clientKey = clientKey;
        }

        public List<String> getProtocols() {
            return protocols;
        }

        public void setProtocols(List<String> protocols) {
            this.protocols = protocols;
        }
    }




    /** DKIM signing of every message the client sends; all three keys or none. */
    public static class Dkim {

        /** The signing domain (d=). */
        private String domain;

        /** The selector (s=): the key's DNS record is selector._domainkey.domain. */
        private String selector;

        /** PEM file of the private key (RSA or Ed25519, PKCS#1 or PKCS#8). */
        private Path privateKey;

        public String getDomain() {
            return domain;
        }

        public void setDomain(String domain) {
            this.domain = domain;
        }

        public String getSelector() {
            return selector;
        }

        public void setSelector(String selector) {
            this.selector = selector;
        }

        public Path getPrivateKey() {
            return privateKey;
        }

        public void setPrivateKey(Path privateKey) {
            this.privateKey = privateKey;
        }
    }

    /** The actuator health check (connect, EHLO, STARTTLS and AUTH as the client would; no mail). */
    public static class Health {

        /** How long one check may take before the server is reported down. */
        private Duration timeout = Duration.ofSeconds(10);

        /** How long a result is reused before the server is checked again. */
        private Duration cacheTtl = Duration.ofSeconds(30);

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public Duration getCacheTtl() {
            return cacheTtl;
        }

        public void setCacheTtl(Duration cacheTtl) {
            this.cacheTtl = cacheTtl;
        }
    }

    /** Metrics and observations, when Micrometer is present. */
    public static class Observations {

        /** Record a Micrometer observation per message and per connection (spans with micrometer-tracing). */
        private boolean enabled = true;

        /** Record the client's meters (smtp.messages, smtp.connect, ...) in the application's MeterRegistry. */
        private boolean metrics = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public boolean isMetrics() {
            return metrics;
        }

        public void setMetrics(boolean metrics) {
            this.metrics = metrics;
        }
    }
}
