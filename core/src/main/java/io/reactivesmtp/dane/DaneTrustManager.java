package io.reactivesmtp.dane;

import io.reactivesmtp.internal.TlsHosts;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Authenticates an SMTP server by its DNSSEC-validated TLSA records (RFC 7672 §3.1), instead of by a CA store:
 * <ul>
 *   <li>DANE-EE (usage 3): the server's own certificate (selector 0) or public key (selector 1) matches; its
 *       names and validity dates are not looked at (RFC 7672 §3.1.1).</li>
 *   <li>DANE-TA (usage 2): a certificate of the chain the server sent matches, the chain from the server's
 *       certificate up to it is valid (signatures, dates, constraints; PKIX with that certificate as the only
 *       anchor) and the server's certificate names the MX host (RFC 7672 §3.1.2, §3.2.2).</li>
 * </ul>
 * Records that are not {@linkplain TlsaRecord#isUsable() usable} are ignored; at least one must be usable.
 * The MX host is the peer host of the engine: TLS options for DANE turn the engine's own host name check off,
 * since DANE-EE must ignore names. Used as the only trust manager of an MX host's TLS context.
 */
public final class DaneTrustManager extends X509ExtendedTrustManager {

    private final List<TlsaRecord> records;

    /**
     * @param records the host's TLSA records; unusable ones are ignored
     * @throws IllegalArgumentException if none is usable
     */
    public DaneTrustManager(List<TlsaRecord> records) {
        List<TlsaRecord> usable = new ArrayList<>();
        for (TlsaRecord r : Objects.requireNonNull(records, "records")) {
            if (r.isUsable()) {
                usable.add(r);
            }
        }
        if (usable.isEmpty()) {
            throw new IllegalArgumentException("no usable TLSA record among " + records
                    + ": SMTP uses only usages 2 and 3, selectors 0 and 1, matching types 0, 1 and 2");
        }
        this.records = List.copyOf(usable);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, engine == null ? null : engine.getPeerHost());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, socket == null || socket.getInetAddress() == null ? null : socket.getInetAddress().getHostName());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, null);
    }

    /**
     * @param chain the chain the server sent, its own certificate first
     * @param host the MX host name, or null when unknown (then only DANE-EE can match)
     * @throws CertificateException saying why no record matched
     */
    public void check(X509Certificate[] chain, String host) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("DANE: the server sent no certificate");
        }
        for (TlsaRecord r : records) {
            if (r.usage() == TlsaRecord.DANE_EE && matches(r, chain[0])) {
                return;
            }
        }
        String taFailure = null;
        for (TlsaRecord r : records) {
            if (r.usage() != TlsaRecord.DANE_TA) {
                continue;
            }
            for (int i = 0; i < chain.length; i++) {
                if (matches(r, chain[i])) {
                    taFailure = checkBelowAnchor(chain, i, host);
                    if (taFailure == null) {
                        return;
                    }
                }
            }
        }
        throw new CertificateException("DANE: " + (taFailure != null ? taFailure
                : "no TLSA record of " + (host == null ? "the MX host" : host) + " matches the server's certificate chain ("
                        + chain[0].getSubjectX500Principal() + "); records: " + records));
    }

    /** @return null when the chain below the anchor at {@code ta} is valid for the host, else why not */
    private static String checkBelowAnchor(X509Certificate[] chain, int ta, String host) {
        if (host == null) {
            return "DANE-TA needs the MX host name to check the certificate against, and none is known";
        }
        String name = TlsHosts.normalizePeerHost(host);
        if (!CertNames.matches(chain[0], name)) {
            return "the server's certificate matched a DANE-TA record but is for " + CertNames.dnsNames(chain[0])
                    + ", not the MX host " + name;
        }
        if (ta == 0) {
            // The server's own certificate is the anchor: it must at least be within its dates.
            try {
                chain[0].checkValidity();
                return null;
            } catch (GeneralSecurityException e) {
                return "the server's certificate (its own DANE-TA anchor) is not valid now: " + e.getMessage();
            }
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(chain[ta], null)));
            params.setRevocationEnabled(false); // no network from a TLS handshake; DNSSEC vouches for the anchor
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(Arrays.asList(chain).subList(0, ta)), params);
            return null;
        } catch (CertPathValidatorException e) {
            return "the chain to the DANE-TA anchor " + chain[ta].getSubjectX500Principal() + " is not valid: "
                    + e.getMessage();
        } catch (GeneralSecurityException e) {
            return "cannot check the chain to the DANE-TA anchor: " + e;
        }
    }

    /** RFC 6698 §2.1.2-2.1.3: the selected bytes, exact or digested, equal the association data. */
    static boolean matches(TlsaRecord r, X509Certificate cert) {
        byte[] selected;
        try {
            selected = r.selector() == TlsaRecord.SPKI ? cert.getPublicKey().getEncoded() : cert.getEncoded();
        } catch (CertificateEncodingException e) {
            return false;
        }
        byte[] want = r.dataNoCopy();
        switch (r.matchingType()) {
            case TlsaRecord.EXACT:
                return MessageDigest.isEqual(selected, want);
            case TlsaRecord.SHA2_256:
                return MessageDigest.isEqual(digest("SHA-256", selected), want);
            case TlsaRecord.SHA2_512:
                return MessageDigest.isEqual(digest("SHA-512", selected), want);
            default:
                return false;
        }
    }

    private static byte[] digest(String algorithm, byte[] bytes) {
        try {
            return MessageDigest.getInstance(algorithm).digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required of every JDK", e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("DANE trust is for authenticating servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("DANE trust is for authenticating servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("DANE trust is for authenticating servers only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    /** @return the usable records this trusts */
    public List<TlsaRecord> records() {
        return records;
    }
}
