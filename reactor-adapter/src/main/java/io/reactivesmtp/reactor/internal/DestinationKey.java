package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.Credentials;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What makes two sessions interchangeable: server host and port, TLS options (policy, trust, expected name),
 * the credentials' identity (user name and mechanism: never the secret) and the local address. In MX routing a
 * key also carries the TLS status it stands for (not part of its identity: one MX host can serve domains of
 * different policies through one pool) and whether it is the plaintext retry of level {@code may}.
 */
public final class DestinationKey {

    private final String host;
    private final int port;
    private final TlsOptions tls;
    private final String identity;
    private final InetSocketAddress localAddress;
    private final SmtpSessionOptions session;
    private final MxTlsStatus mxTls;
    private final boolean plaintextRetry;
    private final TlsRptTarget tlsRpt;
    /** Computed once: the key is looked up for every message. */
    private final int hash;
    private final String name;

    /**
     * @param host the server's host name as configured or resolved from MX
     * @param port its port
     * @param session the session options (TLS and credentials are taken from them)
     * @param localAddress the local address, or null
     */
    public DestinationKey(String host, int port, SmtpSessionOptions session, InetSocketAddress localAddress) {
        this(host, port, session, localAddress, null, false);
    }

    /**
     * @param host the MX host
     * @param port its port
     * @param session the session options for this host's TLS level
     * @param localAddress the local address, or null
     * @param mxTls the TLS status a session through this key reaches, or null outside MX routing
     * @param plaintextRetry whether this is level may's plaintext retry after a failed handshake
     */
    public DestinationKey(String host, int port, SmtpSessionOptions session, InetSocketAddress localAddress,
            MxTlsStatus mxTls, boolean plaintextRetry) {
        this(host, port, session, localAddress, mxTls, plaintextRetry, null);
    }

    /**
     * @param host the MX host
     * @param port its port
     * @param session the session options for this host's TLS level
     * @param localAddress the local address, or null
     * @param mxTls the TLS status a session through this key reaches, or null outside MX routing
     * @param plaintextRetry whether this is level may's plaintext retry after a failed handshake
     * @param tlsRpt what its sessions are reported under in TLS-RPT (not part of its identity), or null
     */
    public DestinationKey(String host, int port, SmtpSessionOptions session, InetSocketAddress localAddress,
            MxTlsStatus mxTls, boolean plaintextRetry, TlsRptTarget tlsRpt) {
        this.tlsRpt = tlsRpt;
        this.session = session;
        this.mxTls = mxTls;
        this.plaintextRetry = plaintextRetry;
        this.host = host;
        this.port = port;
        this.tls = session.tls();
        this.identity = session.credentials().map(DestinationKey::identity).orElse("");
        this.localAddress = localAddress;
        this.hash = Objects.hash(host.toLowerCase(java.util.Locale.ROOT), port, tls, identity, localAddress);
        this.name = host + ":" + port;
    }

    private static String identity(Credentials c) {
        return c.username() + "/" + c.mechanism().orElse(c.isOAuth2() ? "XOAUTH2" : "*");
    }

    /** @return the server's host */
    public String host() {
        return host;
    }

    /** @return the server's port */
    public int port() {
        return port;
    }

    /** @return the session options of connections to this destination */
    public SmtpSessionOptions session() {
        return session;
    }

    /** @return the TLS status in MX routing, or null */
    public MxTlsStatus mxTls() {
        return mxTls;
    }

    /** @return what its sessions are reported under in TLS-RPT, or null */
    public TlsRptTarget tlsRpt() {
        return tlsRpt;
    }

    /** @return whether this is the plaintext retry, used only after the previous key's TLS handshake failed */
    public boolean isPlaintextRetry() {
        return plaintextRetry;
    }

    /** @return the local address, or null */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DestinationKey)) {
            return false;
        }
        DestinationKey k = (DestinationKey) o;
        return k == this || hash == k.hash && port == k.port && host.equalsIgnoreCase(k.host) && tls.equals(k.tls)
                && identity.equals(k.identity)
                && Objects.equals(localAddress, k.localAddress);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** @return {@code host:port}, the destination's name in events (no credentials) */
    @Override
    public String toString() {
        return name;
    }
}
