package io.reactivesmtp;

import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * What TLS protected a session: protocol version, cipher suite, the server certificate's subject and the
 * implementation that ran it. Recorded in reports; immutable.
 */
public final class TlsInfo {

    private final String protocol;
    private final String cipherSuite;
    private final String peerPrincipal;
    private final String provider;

    private TlsInfo(String protocol, String cipherSuite, String peerPrincipal, String provider) {
        this.protocol = protocol;
        this.cipherSuite = cipherSuite;
        this.peerPrincipal = peerPrincipal;
        this.provider = provider;
    }

    /**
     * Reads a completed handshake's session.
     *
     * @param session the engine's session after the handshake succeeded
     * @param provider the implementation, {@code "JDK"} or {@code "OpenSSL"} ({@link TlsProvider#displayName()})
     * @return its protocol, cipher suite and peer subject
     */
    public static TlsInfo of(SSLSession session, String provider) {
        Objects.requireNonNull(session, "session");
        String principal;
        try {
            principal = session.getPeerPrincipal().getName();
        } catch (SSLPeerUnverifiedException e) {
            // No certificate was presented (anonymous suites, which are not enabled by default): nothing to report.
            principal = null;
        }
        return of(session.getProtocol(), session.getCipherSuite(), principal, provider);
    }

    /**
     * Builds one from its parts, for reports made elsewhere (and tests).
     *
     * @param protocol the protocol version, such as {@code "TLSv1.3"}
     * @param cipherSuite the cipher suite, such as {@code "TLS_AES_128_GCM_SHA256"}
     * @param peerPrincipal the subject DN of the server certificate, or null if none was presented
     * @param provider the implementation, {@code "JDK"} or {@code "OpenSSL"}
     * @return the value
     */
    public static TlsInfo of(String protocol, String cipherSuite, String peerPrincipal, String provider) {
        return new TlsInfo(requireText(protocol, "protocol"), requireText(cipherSuite, "cipherSuite"),
                peerPrincipal, requireText(provider, "provider"));
    }

    private static String requireText(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value;
    }

    /** @return the negotiated protocol version, such as {@code "TLSv1.3"} */
    public String protocol() {
        return protocol;
    }

    /** @return the negotiated cipher suite, such as {@code "TLS_AES_128_GCM_SHA256"} */
    public String cipherSuite() {
        return cipherSuite;
    }

    /** @return the subject distinguished name of the server's certificate, if it presented one */
    public Optional<String> peerPrincipal() {
        return Optional.ofNullable(peerPrincipal);
    }

    /** @return the TLS implementation that ran the session, {@code "JDK"} or {@code "OpenSSL"} */
    public String provider() {
        return provider;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TlsInfo)) {
            return false;
        }
        TlsInfo other = (TlsInfo) o;
        return protocol.equals(other.protocol) && cipherSuite.equals(other.cipherSuite)
                && Objects.equals(peerPrincipal, other.peerPrincipal) && provider.equals(other.provider);
    }

    @Override
    public int hashCode() {
        return Objects.hash(protocol, cipherSuite, peerPrincipal, provider);
    }

    @Override
    public String toString() {
        return protocol + " " + cipherSuite + " (" + provider + ")"
                + (peerPrincipal != null ? ", server " + peerPrincipal : "");
    }
}
