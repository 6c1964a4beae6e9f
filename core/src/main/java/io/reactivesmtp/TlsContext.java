package io.reactivesmtp;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.reactivesmtp.dane.DaneTrustManager;
import io.reactivesmtp.dane.TlsaRecord;
import io.reactivesmtp.internal.ClientKeys;
import io.reactivesmtp.internal.Pem;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS context of a {@link TlsOptions}: the provider {@link TlsProvider#AUTO} resolved to and the Netty context
 * built with it. Building one reads PEM files and the trust store and may load OpenSSL: configuration time only.
 *
 * @param provider JDK or OPENSSL
 * @param ssl the client context
 */
record TlsContext(TlsProvider provider, SslContext ssl) {

    /**
     * @throws IllegalArgumentException naming the file, if a PEM file is missing, unreadable or holds no usable
     *     certificate or key, or if the context cannot be built
     */
    static TlsContext build(TlsProvider requested, List<String> protocols, boolean insecure, List<TlsaRecord> dane,
                            Path trustPem, TrustManagerFactory trustManagerFactory, Path clientCertPem,
                            Path clientKeyPem) {
        TlsProvider resolved = requested.resolve();
        SslContextBuilder ctx = SslContextBuilder.forClient()
                .sslProvider(resolved.toNetty())
                .protocols(protocols)
                .endpointIdentificationAlgorithm(insecure || dane != null ? null : TlsOptions.HTTPS);
        if (insecure) {
            ctx.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (dane != null) {
            // DANE checks names itself (DANE-TA) or not at all (DANE-EE, RFC 7672 section 3.1.1).
            ctx.trustManager(new DaneTrustManager(dane));
        } else if (trustPem != null) {
            ctx.trustManager(Pem.certificates(trustPem, "CA bundle"));
        } else if (trustManagerFactory != null) {
            ctx.trustManager(trustManagerFactory);
        }
        // else: Netty uses the JDK's default trust store, for the OpenSSL provider too.
        if (clientCertPem != null) {
            List<X509Certificate> chain = Pem.certificates(clientCertPem, "client certificate chain");
            PrivateKey key = ClientKeys.read(clientKeyPem, chain.get(0));
            ctx.keyManager(key, chain);
        }
        try {
            return new TlsContext(resolved, ctx.build());
        } catch (SSLException e) {
            throw new IllegalArgumentException("could not build the TLS context (" + resolved.displayName()
                    + "): " + e.getMessage(), e);
        }
    }
}
