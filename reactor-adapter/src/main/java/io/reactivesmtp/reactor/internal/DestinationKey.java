package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.Credentials;
import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * What makes two sessions interchangeable: server host and port, TLS options (policy, trust, expected name),
 * the credentials' identity (user name and mechanism: never the secret) and the local address. In MX routing a
 * key also carries the TLS status it stands for (not part of its identity: one MX host can serve domains of
 * different policies through one pool) and whether it is the plaintext retry of level {@code may}.
 *
 * <p><b>Sessions by address</b> (MX routing, as Postfix's connection cache reuses a session by IP address): a key
 * whose sessions depend on nothing about the host name ({@link #sharesByAddress()}: levels none, {@code may}, its
 * plaintext retry, {@code encrypt}, where the certificate is not checked against any name) can be bound to the
 * addresses its host resolved to ({@link #atAddresses(List)}). A bound key is identified by those addresses (all of
 * them, in order: any session of its pool went to one of them, tried in that order) instead of the host name, with
 * port, TLS options, identity and local address as before; so the MX hosts of many domains that are one server
 * share one pool and its idle sessions. The EHLO name and the other session options are the client's, the same for
 * every MX key. Keys of levels that authenticate the server name ({@code dane}, {@code verify} and MTA-STS,
 * {@code secure}) are never bound: the certificate was checked against that name, so their sessions stay the
 * name's. Whatever pool a session came from, the TLS status, the TLS-RPT target and the host in the report are the
 * candidate key's, i.e. the domain's own MX host.
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
    /** Whether its sessions depend on nothing about the host name, so that it may be bound to its addresses. */
    private final boolean sharesByAddress;
    /** The host's addresses this key is bound to, or null: identified by the host name. */
    private final List<InetAddress> addresses;
    /**
     * Computed on first use (0 until then; a race computes the same value twice): the key is looked up for every
     * message, while MX routing makes keys per message that it copies (status, address binding) before one is used.
     */
    private int hash;
    private final String name;
    /** {@link #connectionName()} of a key bound to addresses, made on first use. */
    private String boundName;

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
        this(host, port, session, localAddress, mxTls, plaintextRetry, tlsRpt, false, null);
    }

    private DestinationKey(String host, int port, SmtpSessionOptions session, InetSocketAddress localAddress,
            MxTlsStatus mxTls, boolean plaintextRetry, TlsRptTarget tlsRpt, boolean sharesByAddress,
            List<InetAddress> addresses) {
        this(host, port, session, localAddress, mxTls, plaintextRetry, tlsRpt, sharesByAddress, addresses,
                session.credentials().map(DestinationKey::identity).orElse(""), host + ":" + port);
    }

    /** A copy's constructor: the identity and name of the key it copies are not computed again. */
    private DestinationKey(String host, int port, SmtpSessionOptions session, InetSocketAddress localAddress,
            MxTlsStatus mxTls, boolean plaintextRetry, TlsRptTarget tlsRpt, boolean sharesByAddress,
            List<InetAddress> addresses, String identity, String name) {
        this.tlsRpt = tlsRpt;
        this.session = session;
        this.mxTls = mxTls;
        this.plaintextRetry = plaintextRetry;
        this.host = host;
        this.port = port;
        this.tls = session.tls();
        this.identity = identity;
        this.localAddress = localAddress;
        this.sharesByAddress = sharesByAddress;
        this.addresses = addresses;
        this.name = name;
    }

    /**
     * @return this key, marked as one whose sessions depend on nothing about the host name (MX levels none,
     *     {@code may}, {@code encrypt}): it may then be {@linkplain #atAddresses bound} to the host's addresses
     */
    public DestinationKey sharingByAddress() {
        return new DestinationKey(host, port, session, localAddress, mxTls, plaintextRetry, tlsRpt, true, null,
                identity, name);
    }

    /**
     * @param status the TLS status its sessions stand for (not part of the identity)
     * @return this key with that status and everything else as it is, its address binding included
     */
    public DestinationKey withMxTls(MxTlsStatus status) {
        return new DestinationKey(host, port, session, localAddress, status, plaintextRetry, tlsRpt, sharesByAddress,
                addresses, identity, name);
    }

    /**
     * @param resolved the addresses the host name resolved to, in the order to try them; not empty
     * @return this key identified by those addresses instead of its host name
     * @throws IllegalStateException if this key's sessions depend on the host name
     */
    public DestinationKey atAddresses(List<InetAddress> resolved) {
        if (!sharesByAddress) {
            throw new IllegalStateException("sessions to " + name + " depend on its name: not bound to an address");
        }
        if (resolved.isEmpty()) {
            throw new IllegalArgumentException("no addresses for " + name);
        }
        return new DestinationKey(host, port, session, localAddress, mxTls, plaintextRetry, tlsRpt, true,
                List.copyOf(resolved), identity, name);
    }

    /** @return whether this key may be bound to its host's addresses (see the class comment) */
    public boolean sharesByAddress() {
        return sharesByAddress;
    }

    /** @return the addresses this key is bound to, in the order to try them, or null when identified by name */
    public List<InetAddress> addresses() {
        return addresses;
    }

    /**
     * @return what a connection of this key's pool is named by in events and errors: {@code [address]:port} for a
     *     key bound to addresses (its pool serves every MX host at them), else {@code host:port}
     */
    public String connectionName() {
        if (addresses == null) {
            return name;
        }
        String bound = boundName;
        if (bound == null) {
            // Asked for every message under pacing (its site): made once per key, not once per call.
            boundName = bound = "[" + addresses.get(0).getHostAddress() + "]:" + port;
        }
        return bound;
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
        return k == this || hashCode() == k.hashCode() && port == k.port
                && (addresses != null ? addresses.equals(k.addresses) : k.addresses == null && host.equalsIgnoreCase(k.host))
                && tls.equals(k.tls) && identity.equals(k.identity)
                && Objects.equals(localAddress, k.localAddress);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = addresses != null ? Objects.hash(addresses, port, tls, identity, localAddress)
                    : Objects.hash(host.toLowerCase(java.util.Locale.ROOT), port, tls, identity, localAddress);
            hash = h;
        }
        return h;
    }

    /** @return {@code host:port}, the destination's name in events (no credentials); the name even when bound */
    @Override
    public String toString() {
        return name;
    }
}
