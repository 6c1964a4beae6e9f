package io.reactivesmtp;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.reactivesmtp.dane.DaneTrustManager;
import io.reactivesmtp.dane.TlsaRecord;
import io.reactivesmtp.internal.SafeText;
import io.reactivesmtp.internal.TlsHosts;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a session uses TLS: the {@link TlsPolicy}, whom it trusts, the identity it expects from the server, an
 * optional client certificate, the protocol versions and the implementation. Immutable; build with
 * {@link #builder()}, change with {@link #mutate()}.
 *
 * <p>Certificates and host names are always verified: the only way to turn verification off is
 * {@link Builder#insecureTrustAllCertificates()}, whose name says what it does. The Netty {@link SslContext}
 * is built once, by {@link Builder#build()}, so a missing or malformed PEM file fails there and not at the
 * first connection; {@link #newHandler(ByteBufAllocator, String, int)} then only creates an engine. Two options
 * build theirs on first use instead, since loading OpenSSL and the trust store takes about half a second that a
 * client without TLS should not pay: {@link #DEFAULT} (a constant; sessions and clients ask for it before their
 * first connection) and options with {@link TlsPolicy#NONE} and no PEM file.
 *
 * <pre>{@code
 * TlsOptions tls = TlsOptions.builder()
 *     .policy(TlsPolicy.IMPLICIT)
 *     .trustPem(Path.of("/etc/mailer/relay-ca.pem"))
 *     .serverName("relay.example.com")
 *     .build();
 * }</pre>
 *
 * <p>Two options are equal when they were configured alike; PEM files are compared by path, not content, and
 * trust manager factories by identity.
 *
 * <p>Why this file is over 450 lines: it is one immutable value and its builder, and the builder's Javadoc is the
 * user's documentation of every trust choice (CA file, factory, DANE, insecure); splitting it would scatter that.
 */
public final class TlsOptions {

    /** TLS 1.3 and 1.2 only: older versions are broken or deprecated (RFC 8996). */
    private static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** What {@link Builder#protocols(String...)} accepts; SSLv3 and SSLv2Hello never. */
    private static final Set<String> KNOWN_PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1");

    /** The endpoint identification algorithm that checks the certificate against a host name (RFC 2818). */
    static final String HTTPS = "HTTPS";

    /**
     * The defaults: {@link TlsPolicy#REQUIRED}, the JDK's default trust store, host name verification on,
     * TLS 1.3 and 1.2, and {@link TlsProvider#AUTO}.
     */
    public static final TlsOptions DEFAULT = builder().build(false);

    private final TlsPolicy policy;
    private final Path trustPem;
    private final TrustManagerFactory trustManagerFactory;
    private final boolean insecure;
    /** DNSSEC-validated TLSA records that alone decide trust (names checked by the trust manager), or null. */
    private final List<TlsaRecord> dane;
    private final Path clientCertPem;
    private final Path clientKeyPem;
    private final String serverName;
    private final List<String> protocols;
    private final TlsProvider requestedProvider;
    /** The resolved provider and the context: set by build(), or on first use when deferred. */
    private volatile TlsContext context;

    private TlsOptions(Builder b, TlsContext context) {
        this.policy = b.policy;
        this.trustPem = b.trustPem;
        this.trustManagerFactory = b.trustManagerFactory;
        this.insecure = b.insecure;
        this.dane = b.dane;
        this.clientCertPem = b.clientCertPem;
        this.clientKeyPem = b.clientKeyPem;
        this.serverName = b.serverName;
        this.protocols = b.protocols;
        this.requestedProvider = b.provider;
        this.context = context;
    }

    /** The context, built now if it was deferred (which reads the trust store: configuration time, not a loop). */
    private TlsContext context() {
        TlsContext c = context;
        if (c == null) {
            synchronized (this) {
                c = context;
                if (c == null) {
                    c = mutate().newContext();
                    context = c;
                }
            }
        }
        return c;
    }

    /**
     * Builds the TLS context now if it was deferred and TLS may be used; {@link SmtpConnector} and the reactor
     * client's construction call it, so that an event loop never builds it at the first STARTTLS.
     *
     * @return these options
     */
    public TlsOptions prepared() {
        if (policy != TlsPolicy.NONE) {
            context();
        }
        return this;
    }

    /** @return a builder with the defaults of {@link #DEFAULT} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these options; its {@code build()} reads the PEM files again */
    public Builder mutate() {
        Builder b = new Builder();
        b.policy = policy;
        b.trustPem = trustPem;
        b.trustManagerFactory = trustManagerFactory;
        b.insecure = insecure;
        b.dane = dane;
        b.clientCertPem = clientCertPem;
        b.clientKeyPem = clientKeyPem;
        b.serverName = serverName;
        b.protocols = protocols;
        b.provider = requestedProvider;
        return b;
    }

    /** @return when the session uses TLS */
    public TlsPolicy policy() {
        return policy;
    }

    /**
     * @return the identity expected in the server's certificate and sent as SNI, when it differs from the host
     *     connected to; empty means the host connected to
     */
    public Optional<String> serverName() {
        return Optional.ofNullable(serverName);
    }

    /**
     * @return true if {@link Builder#insecureTrustAllCertificates()} was chosen: any certificate for any host
     *     is accepted, so TLS protects against nothing but passive eavesdroppers
     */
    public boolean isInsecure() {
        return insecure;
    }

    /** @return the implementation in use, {@link TlsProvider#AUTO} resolved: {@link TlsProvider#JDK} or {@link TlsProvider#OPENSSL} */
    public TlsProvider provider() {
        return context().provider();
    }

    /** @return the enabled protocol versions, such as {@code [TLSv1.3, TLSv1.2]} */
    public List<String> protocols() {
        return protocols;
    }

    /**
     * Creates the TLS handler for one connection, to be added first in its pipeline (at connect for
     * {@link TlsPolicy#IMPLICIT}, after the 220 to STARTTLS otherwise).
     *
     * <p>Its engine is in client mode, created with the peer host ({@link #serverName()} when set) and port,
     * verifies the server's certificate chain and, unless {@link #isInsecure()}, its host name (endpoint
     * identification {@code "HTTPS"}, for the JDK and the OpenSSL engine alike), and sends the host as SNI when
     * it is a name rather than an IP literal. The handler's own handshake timeout is disabled: the session times
     * the handshake with its own per-phase timeout, so there is one timer and one error.
     *
     * <p>A handler that is never added to a pipeline must have its engine released
     * ({@code ReferenceCountUtil.release(handler.engine())}); in a pipeline, the handler releases it.
     *
     * @param alloc the channel's allocator
     * @param peerHost the host connected to: a name (a trailing dot is ignored) or an IP literal (IPv6
     *     with or without brackets)
     * @param peerPort the port connected to, 1 to 65535
     * @return a new handler
     * @throws IllegalArgumentException if the host is empty or contains controls or spaces, or the port is
     *     out of range
     */
    public SslHandler newHandler(ByteBufAllocator alloc, String peerHost, int peerPort) {
        Objects.requireNonNull(alloc, "alloc");
        Objects.requireNonNull(peerHost, "peerHost");
        if (peerPort < 1 || peerPort > 65535) {
            throw new IllegalArgumentException("peer port must be 1 to 65535: " + peerPort);
        }
        String host = serverName != null ? serverName : TlsHosts.normalizePeerHost(peerHost);
        SslHandler handler = context().ssl().newHandler(alloc, host, peerPort);
        try {
            SSLEngine engine = handler.engine();
            SSLParameters params = engine.getSSLParameters();
            // Set on the engine as well as on the context: the verification must not depend on a provider's
            // or a Netty version's default.
            params.setEndpointIdentificationAlgorithm(insecure || dane != null ? null : HTTPS);
            if (!TlsHosts.isIpLiteral(host)) {
                SNIHostName sni = TlsHosts.sniHostName(host);
                if (sni != null) {
                    params.setServerNames(List.of(sni));
                }
            }
            engine.setSSLParameters(params);
        } catch (RuntimeException e) {
            // An OpenSSL engine holds native memory until released; nobody else will release this one.
            ReferenceCountUtil.release(handler.engine());
            throw e;
        }
        handler.setHandshakeTimeoutMillis(0);
        return handler;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TlsOptions)) {
            return false;
        }
        TlsOptions other = (TlsOptions) o;
        return policy == other.policy && insecure == other.insecure && Objects.equals(dane, other.dane)
                && Objects.equals(trustPem, other.trustPem)
                && trustManagerFactory == other.trustManagerFactory
                && Objects.equals(clientCertPem, other.clientCertPem)
                && Objects.equals(clientKeyPem, other.clientKeyPem)
                && Objects.equals(serverName, other.serverName)
                && protocols.equals(other.protocols)
                && requestedProvider == other.requestedProvider;
    }

    @Override
    public int hashCode() {
        return Objects.hash(policy, insecure, dane, trustPem, System.identityHashCode(trustManagerFactory),
                clientCertPem, clientKeyPem, serverName, protocols, requestedProvider);
    }

    /** @return the configuration, without key material: paths are shown, never file contents */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TlsOptions{policy=").append(policy)
                .append(", provider=").append(policy == TlsPolicy.NONE ? requestedProvider.displayName()
                        : provider().displayName());
        if (insecure) {
            sb.append(", trust=INSECURE (all certificates, no host name verification)");
        } else if (dane != null) {
            sb.append(", trust=DANE ").append(dane);
        } else if (trustPem != null) {
            sb.append(", trust=PEM ").append(trustPem);
        } else if (trustManagerFactory != null) {
            sb.append(", trust=TrustManagerFactory(").append(trustManagerFactory.getAlgorithm()).append(')');
        } else {
            sb.append(", trust=JDK default");
        }
        if (serverName != null) {
            sb.append(", serverName=").append(serverName);
        }
        if (clientCertPem != null) {
            sb.append(", clientCertificate=").append(clientCertPem);
        }
        return sb.append(", protocols=").append(protocols).append('}').toString();
    }

    /**
     * Builds {@link TlsOptions}. Setters validate what they can at once; {@link #build()} reads and checks the
     * PEM files and builds the TLS context. The trust setters replace one another: the last one called wins.
     */
    public static final class Builder {
        private TlsPolicy policy = TlsPolicy.REQUIRED;
        private Path trustPem;
        private TrustManagerFactory trustManagerFactory;
        private boolean insecure;
        private List<TlsaRecord> dane;
        private Path clientCertPem;
        private Path clientKeyPem;
        private String serverName;
        private List<String> protocols = DEFAULT_PROTOCOLS;
        private TlsProvider provider = TlsProvider.AUTO;

        private Builder() {
        }

        /** @param policy when to use TLS; {@link TlsPolicy#REQUIRED} by default @return this */
        public Builder policy(TlsPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Trusts only the CA certificates of a PEM file, instead of the JDK's default trust store.
         *
         * @param caBundle a PEM file with one or more {@code CERTIFICATE} blocks; read by {@link #build()}
         * @return this
         */
        public Builder trustPem(Path caBundle) {
            this.trustPem = Objects.requireNonNull(caBundle, "caBundle");
            this.trustManagerFactory = null;
            this.insecure = false;
            this.dane = null;
            return this;
        }

        /**
         * Trusts what a trust manager factory trusts (a custom key store, a platform store, a pinning
         * implementation). Host names are still verified.
         *
         * @param factory an initialised factory
         * @return this
         */
        public Builder trustManagerFactory(TrustManagerFactory factory) {
            this.trustManagerFactory = Objects.requireNonNull(factory, "factory");
            this.trustPem = null;
            this.insecure = false;
            this.dane = null;
            return this;
        }

        /**
         * Goes back to the JDK's default trust store, with host name verification (the default).
         *
         * @return this
         */
        public Builder defaultTrust() {
            this.trustPem = null;
            this.trustManagerFactory = null;
            this.insecure = false;
            this.dane = null;
            return this;
        }

        /**
         * INSECURE, FOR TESTS ONLY: accepts any certificate, self-signed, expired or issued for any host, and
         * turns host name verification off. A man in the middle can then read and change everything,
         * credentials included. This is the only way to disable verification; it uses Netty's
         * {@link InsecureTrustManagerFactory}. Undone by any other trust setter.
         *
         * @return this
         */
        public Builder insecureTrustAllCertificates() {
            this.insecure = true;
            this.trustPem = null;
            this.trustManagerFactory = null;
            this.dane = null;
            return this;
        }

        /**
         * Trusts the server by its DNSSEC-validated TLSA records only (DANE, RFC 7672), through a
         * {@link DaneTrustManager}: DANE-EE records match the server's certificate or key whatever its names and
         * dates, DANE-TA records a certificate of its chain, and then the chain and the peer host's name are
         * checked. The engine's own host name check is off. Undone by any other trust setter.
         *
         * @param records the MX host's TLSA records, at least one usable
         * @return this
         * @throws IllegalArgumentException if none is usable
         */
        public Builder daneTrust(List<TlsaRecord> records) {
            new DaneTrustManager(records); // fails now, naming the records, if none is usable
            this.dane = List.copyOf(records);
            this.insecure = false;
            this.trustPem = null;
            this.trustManagerFactory = null;
            return this;
        }

        /**
         * Presents a client certificate when the server asks for one (mutual TLS).
         *
         * @param certChainPem a PEM file with the client certificate first, then any intermediates
         * @param privateKeyPem a PEM file with its unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY};
         *     convert others with {@code openssl pkcs8 -topk8 -nocrypt})
         * @return this
         */
        public Builder clientCertificate(Path certChainPem, Path privateKeyPem) {
            this.clientCertPem = Objects.requireNonNull(certChainPem, "certChainPem");
            this.clientKeyPem = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            return this;
        }

        /** @return this, without a client certificate (the default) */
        public Builder noClientCertificate() {
            this.clientCertPem = null;
            this.clientKeyPem = null;
            return this;
        }

        /**
         * The identity to expect in the server's certificate and to send as SNI, when it differs from the host
         * connected to (a relay reached through an IP address or an internal alias, say).
         *
         * @param name an ASCII host name (A-labels for IDNs) or an IP literal, or null for the host connected to
         * @return this
         * @throws IllegalArgumentException if it is neither a host name nor an IP address
         */
        public Builder serverName(String name) {
            if (name != null && !TlsHosts.isServerName(name)) {
                throw new IllegalArgumentException("invalid TLS server name \"" + SafeText.escape(name)
                        + "\": expected a host name such as mail.example.com or an IP address");
            }
            this.serverName = name;
            return this;
        }

        /**
         * @param versions the protocol versions to enable, of {@code TLSv1.3}, {@code TLSv1.2}, {@code TLSv1.1}
         *     and {@code TLSv1}; by default {@code TLSv1.3} and {@code TLSv1.2} only (older ones are deprecated,
         *     RFC 8996, and often disabled by the JDK's {@code jdk.tls.disabledAlgorithms})
         * @return this
         * @throws IllegalArgumentException if none is given or one is unknown
         */
        public Builder protocols(String... versions) {
            Objects.requireNonNull(versions, "versions");
            if (versions.length == 0) {
                throw new IllegalArgumentException("at least one TLS protocol version is needed");
            }
            Set<String> set = new LinkedHashSet<>();
            for (String v : versions) {
                if (v == null || !KNOWN_PROTOCOLS.contains(v)) {
                    throw new IllegalArgumentException("unknown or unsupported TLS protocol version \""
                            + (v == null ? "null" : SafeText.escape(v)) + "\": expected TLSv1.3, TLSv1.2, TLSv1.1 or TLSv1");
                }
                set.add(v);
            }
            this.protocols = List.copyOf(set);
            return this;
        }

        /** @param provider the TLS implementation; {@link TlsProvider#AUTO} by default @return this */
        public Builder provider(TlsProvider provider) {
            this.provider = Objects.requireNonNull(provider, "provider");
            return this;
        }

        /**
         * Reads and checks the PEM files and builds the TLS context. Blocks on file reads: call it at
         * configuration time, never on an event loop.
         *
         * @return the options
         * @throws IllegalArgumentException naming the file, if a PEM file is missing, unreadable or holds no
         *     usable certificate or key, if the private key does not match the client certificate, or if
         *     {@link TlsProvider#OPENSSL} was asked for and cannot be loaded
         */
        public TlsOptions build() {
            return build(policy != TlsPolicy.NONE || trustPem != null || clientCertPem != null);
        }

        private TlsOptions build(boolean buildContext) {
            if (provider == TlsProvider.OPENSSL && !OpenSsl.isAvailable()) {
                Throwable cause = OpenSsl.unavailabilityCause();
                throw new IllegalArgumentException("TLS provider OPENSSL is not available: add"
                        + " io.netty:netty-tcnative-boringssl-static to the class path, or use AUTO or JDK"
                        + (cause != null ? " (" + cause + ")" : ""), cause);
            }
            return new TlsOptions(this, buildContext ? newContext() : null);
        }

        private TlsContext newContext() {
            return TlsContext.build(provider, protocols, insecure, dane, trustPem, trustManagerFactory,
                    clientCertPem, clientKeyPem);
        }
    }
}
