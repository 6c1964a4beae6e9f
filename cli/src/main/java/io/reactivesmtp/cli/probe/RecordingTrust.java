package io.reactivesmtp.cli.probe;

import io.netty.handler.ssl.util.SimpleTrustManagerFactory;
import io.reactivesmtp.internal.Pem;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's trust manager (the JDK trust store, or the CAs of a PEM bundle), wrapped so that the chain the server
 * presented is known even when verification refuses it: after a failed handshake the TLS engine no longer has it.
 * Every decision is the JDK's, host name verification included (the engine asks the extended trust manager, which
 * checks the endpoint identity), so the probe verifies exactly as {@code send} does.
 */
final class RecordingTrust {

    private final AtomicReference<List<X509Certificate>> presented = new AtomicReference<>(List.of());
    private final X509ExtendedTrustManager delegate;

    private RecordingTrust(X509ExtendedTrustManager delegate) {
        this.delegate = delegate;
    }

    /**
     * @param caBundle PEM CA certificates to trust instead of the JDK trust store, or null for the JDK's
     * @return a recording trust manager over the JDK's
     * @throws IllegalArgumentException naming the file when it cannot be read or holds no certificate
     * @throws GeneralSecurityException when the JDK cannot build a trust manager
     */
    static RecordingTrust create(Path caBundle) throws GeneralSecurityException {
        KeyStore store = null;
        if (caBundle != null) {
            store = KeyStore.getInstance(KeyStore.getDefaultType());
            try {
                store.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException("cannot create an empty key store", e);
            }
            List<X509Certificate> cas = Pem.certificates(caBundle, "CA bundle");
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
        }
        TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jdk.init(store);
        for (TrustManager tm : jdk.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return new RecordingTrust(x);
            }
        }
        throw new GeneralSecurityException("the JDK offers no X509ExtendedTrustManager");
    }

    /** @return the chain the server presented, leaf first; empty before a handshake */
    List<X509Certificate> presented() {
        return presented.get();
    }

    /** @return a factory of the recording trust manager, for {@code TlsOptions.Builder.trustManagerFactory} */
    TrustManagerFactory factory() {
        TrustManager manager = new X509ExtendedTrustManager() {
            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                    throws CertificateException {
                record(chain);
                delegate.checkServerTrusted(chain, authType, engine);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                    throws CertificateException {
                record(chain);
                delegate.checkServerTrusted(chain, authType, socket);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                record(chain);
                delegate.checkServerTrusted(chain, authType);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                    throws CertificateException {
                delegate.checkClientTrusted(chain, authType, engine);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                    throws CertificateException {
                delegate.checkClientTrusted(chain, authType, socket);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                delegate.checkClientTrusted(chain, authType);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return delegate.getAcceptedIssuers();
            }
        };
        return new SimpleTrustManagerFactory() {
            @Override
            protected void engineInit(KeyStore keyStore) {
            }

            @Override
            protected void engineInit(ManagerFactoryParameters params) {
            }

            @Override
            protected TrustManager[] engineGetTrustManagers() {
                return new TrustManager[] {manager};
            }
        };
    }

    private void record(X509Certificate[] chain) {
        presented.set(chain == null ? List.of() : List.copyOf(Arrays.asList(chain)));
    }
}
