package io.reactivesmtp.testing;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away PKI for TLS tests, generated with Bouncy Castle once per JVM on first use (lazily and
 * thread-safely: the holder class idiom), with EC P-256 keys because they are generated in milliseconds.
 *
 * <ul>
 *   <li>{@link #ca()}: a self-signed CA ({@code basicConstraints CA:true}, keyCertSign);</li>
 *   <li>{@link #good()}: a server certificate for DNS {@code localhost} and IP {@code 127.0.0.1}, signed by
 *       the CA, valid from an hour ago for a year;</li>
 *   <li>{@link #expired()}: the same names, signed by the CA, but its validity ended yesterday;</li>
 *   <li>{@link #wrongHost()}: signed by the CA, valid, but only for {@code mail.example.org};</li>
 *   <li>{@link #selfSigned()}: {@code localhost}/{@code 127.0.0.1}, valid, but signed by itself, not the CA;</li>
 *   <li>{@link #client()}: a client certificate ({@code clientAuth}) signed by the CA, for mutual TLS;</li>
 *   <li>{@link #forHosts(String...)}: a new valid server certificate signed by the CA for any DNS names.</li>
 * </ul>
 *
 * The certificates are created by the JDK's own certificate factory (not Bouncy Castle's classes), and Bouncy
 * Castle is never registered as a security provider, so the TLS engines under test see only JDK objects.
 *
 * <pre>{@code
 * Path caPem = TestPki.caPem(tempDir);
 * SslContext server = TestPki.serverContext(TestPki.good());
 * TlsOptions tls = TlsOptions.builder().trustPem(caPem).build();
 * }</pre>
 */
public final class TestPki {

    /** DN of the CA; tests may look for it as the issuer of the certificates. */
    public static final String CA_SUBJECT = "CN=Reactive SMTP Test CA,O=Reactive SMTP Tests";

    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private TestPki() {
    }

    /** Generated on first use of any accessor; the JVM guarantees it happens once. */
    private static final class Holder {
        static final Generated PKI = generate();
    }

    /** The whole PKI, made once. */
    private static final class Generated {
        final Credential ca;
        final Credential good;
        final Credential expired;
        final Credential wrongHost;
        final Credential selfSigned;
        final Credential client;

        Generated(Credential ca, Credential good, Credential expired, Credential wrongHost, Credential selfSigned,
                Credential client) {
            this.ca = ca;
            this.good = good;
            this.expired = expired;
            this.wrongHost = wrongHost;
            this.selfSigned = selfSigned;
            this.client = client;
        }
    }

    /** @return the CA: its self-signed certificate and its key */
    public static Credential ca() {
        return Holder.PKI.ca;
    }

    /** @return a valid server certificate for {@code localhost} and {@code 127.0.0.1}, signed by the CA */
    public static Credential good() {
        return Holder.PKI.good;
    }

    /** @return a server certificate for {@code localhost} and {@code 127.0.0.1}, signed by the CA, expired yesterday */
    public static Credential expired() {
        return Holder.PKI.expired;
    }

    /** @return a valid server certificate signed by the CA, but only for {@code mail.example.org} */
    public static Credential wrongHost() {
        return Holder.PKI.wrongHost;
    }

    /** @return a valid server certificate for {@code localhost} and {@code 127.0.0.1}, signed by itself */
    public static Credential selfSigned() {
        return Holder.PKI.selfSigned;
    }

    /**
     * A new valid server certificate signed by the CA for the given names (DNS names, or IP addresses), such as a
     * recipient domain's name for MX tests; made on every call.
     *
     * @param names one or more DNS names (wildcards like {@code *.example.test} allowed) or IP addresses
     * @return the credential, named after the first name
     */
    public static Credential issuedFor(String... names) {
        return issue(false, names);
    }

    /**
     * Like {@link #issuedFor(String...)}, but expired yesterday: right names, right issuer, wrong dates.
     *
     * @param names one or more DNS names or IP addresses
     * @return the credential
     */
    public static Credential expiredFor(String... names) {
        return issue(true, names);
    }

    private static Credential issue(boolean expired, String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("at least one name is required");
        }
        Instant now = Instant.now();
        Instant notBefore = expired ? now.minus(Duration.ofDays(30)) : now.minus(Duration.ofHours(1));
        Instant notAfter = expired ? now.minus(Duration.ofDays(1)) : now.plus(Duration.ofDays(365));
        try {
            return leaf((expired ? "expired-" : "issued-") + names[0].replace('*', '_'),
                    "CN=" + names[0] + ",O=Reactive SMTP Tests", ca(), notBefore, notAfter, names.clone(),
                    KeyPurposeId.id_kp_serverAuth);
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + names[0], e);
        }
    }

    /**
     * A server context presenting a credential followed by the test CA's certificate (a chain of two), as a server
     * whose TLSA record names its CA (DANE-TA) presents it.
     *
     * @param credential a certificate issued by the test CA
     * @return a new server context
     */
    public static SslContext serverContextWithCa(Credential credential) {
        List<X509Certificate> chain = new ArrayList<>(credential.chain());
        chain.add(ca().certificate());
        return build(SslContextBuilder.forServer(credential.privateKey(), chain), credential);
    }

    /** @return a client certificate ({@code clientAuth}, CN {@code client.example.com}) signed by the CA */
    public static Credential client() {
        return Holder.PKI.client;
    }

    /**
     * A new server certificate for other names, signed by the CA, valid from an hour ago for a year: e.g.
     * {@code mta-sts.example.test} for an MTA-STS policy host. Each call generates a new key (milliseconds).
     *
     * @param dnsNames the DNS names (subject alternative names); the first is also the CN; at least one
     * @return the credential, named after the first name
     */
    public static Credential forHosts(String... dnsNames) {
        if (dnsNames == null || dnsNames.length == 0) {
            throw new IllegalArgumentException("no DNS names given: expected at least one");
        }
        try {
            return leaf(dnsNames[0], "CN=" + dnsNames[0] + ",O=Reactive SMTP Tests", ca(),
                    Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(365)), dnsNames,
                    KeyPurposeId.id_kp_serverAuth);
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + String.join(", ", dnsNames), e);
        }
    }

    /**
     * Writes the CA certificate as PEM, the file to hand to {@code TlsOptions.Builder.trustPem}.
     *
     * @param dir an existing directory, usually a JUnit {@code @TempDir}
     * @return {@code dir/ca.pem}
     */
    public static Path caPem(Path dir) {
        return ca().writeCertPem(dir);
    }

    /**
     * A server context presenting a credential, for {@code Script.startTls} or a test server.
     * JDK provider, TLS 1.3 and 1.2; client certificates are not asked for.
     *
     * @param credential the server's certificate and key
     * @return a new server context
     */
    public static SslContext serverContext(Credential credential) {
        return build(SslContextBuilder.forServer(credential.privateKey(), credential.chain()), credential);
    }

    /**
     * A server context presenting a credential and requiring a client certificate issued by the test CA.
     *
     * @param credential the server's certificate and key
     * @return a new server context
     */
    public static SslContext serverContextRequiringClientAuth(Credential credential) {
        return build(SslContextBuilder.forServer(credential.privateKey(), credential.chain())
                .trustManager(ca().certificate())
                .clientAuth(ClientAuth.REQUIRE), credential);
    }

    private static SslContext build(SslContextBuilder builder, Credential credential) {
        try {
            return builder.protocols("TLSv1.3", "TLSv1.2").build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build a server context for " + credential.name(), e);
        }
    }

    /** A certificate chain (leaf first) and its private key, with a name used for file names. */
    public static final class Credential {
        private final String name;
        private final List<X509Certificate> chain;
        private final PrivateKey privateKey;

        Credential(String name, List<X509Certificate> chain, PrivateKey privateKey) {
            this.name = name;
            this.chain = List.copyOf(chain);
            this.privateKey = privateKey;
        }

        /** @return the short name: {@code ca}, {@code good}, {@code expired}, {@code wrong-host}, ... */
        public String name() {
            return name;
        }

        /** @return the leaf certificate */
        public X509Certificate certificate() {
            return chain.get(0);
        }

        /** @return the chain, leaf first (the CA itself is not included) */
        public List<X509Certificate> chain() {
            return chain;
        }

        /** @return the private key of the leaf */
        public PrivateKey privateKey() {
            return privateKey;
        }

        /**
         * @param dir an existing directory
         * @return {@code dir/NAME-cert.pem} (or {@code dir/ca.pem} for the CA), the chain as PEM
         */
        public Path writeCertPem(Path dir) {
            StringBuilder pem = new StringBuilder();
            for (X509Certificate c : chain) {
                try {
                    pem.append(pem("CERTIFICATE", c.getEncoded()));
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            }
            return write(dir.resolve(name.equals("ca") ? "ca.pem" : name + "-cert.pem"), pem.toString());
        }

        /**
         * @param dir an existing directory
         * @return {@code dir/NAME-key.pem}, the unencrypted PKCS#8 key ({@code BEGIN PRIVATE KEY})
         */
        public Path writeKeyPem(Path dir) {
            // JDK keys encode as PKCS#8 PrivateKeyInfo.
            return write(dir.resolve(name + "-key.pem"), pem("PRIVATE KEY", privateKey.getEncoded()));
        }

        @Override
        public String toString() {
            return name + ": " + certificate().getSubjectX500Principal();
        }
    }

    static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    private static Path write(Path file, String text) {
        try {
            return Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    // ---- generation

    private static Generated generate() {
        try {
            Instant now = Instant.now();
            KeyPair caKeys = newKeyPair();
            X500Name caName = x500(CA_SUBJECT);
            X509Certificate caCert = sign(caName, caKeys, caName, caKeys, null,
                    now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3650)), true, null, null);
            Credential ca = new Credential("ca", List.of(caCert), caKeys.getPrivate());

            String[] localhost = {"localhost", "127.0.0.1"};
            Credential good = leaf("good", "CN=localhost,O=Reactive SMTP Tests", ca,
                    now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(365)), localhost, KeyPurposeId.id_kp_serverAuth);
            Credential expired = leaf("expired", "CN=localhost,OU=expired,O=Reactive SMTP Tests", ca,
                    now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)), localhost, KeyPurposeId.id_kp_serverAuth);
            Credential wrongHost = leaf("wrong-host", "CN=mail.example.org,O=Reactive SMTP Tests", ca,
                    now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(365)), new String[] {"mail.example.org"},
                    KeyPurposeId.id_kp_serverAuth);
            Credential selfSigned = leaf("self-signed", "CN=localhost,OU=self-signed,O=Reactive SMTP Tests", null,
                    now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(365)), localhost, KeyPurposeId.id_kp_serverAuth);
            Credential client = leaf("client", "CN=client.example.com,O=Reactive SMTP Tests", ca,
                    now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(365)), new String[] {"client.example.com"},
                    KeyPurposeId.id_kp_clientAuth);
            return new Generated(ca, good, expired, wrongHost, selfSigned, client);
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot generate the test PKI", e);
        }
    }

    /** @param issuer the CA, or null for a self-signed certificate */
    private static Credential leaf(String name, String subject, Credential issuer, Instant notBefore, Instant notAfter,
            String[] names, KeyPurposeId purpose)
            throws GeneralSecurityException, OperatorCreationException, CertIOException {
        KeyPair keys = newKeyPair();
        X500Name subjectName = x500(subject);
        List<GeneralName> sans = new ArrayList<>();
        for (String n : names) {
            boolean ip = Character.isDigit(n.charAt(0)) || n.contains(":");
            sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, n));
        }
        X509Certificate cert;
        if (issuer == null) {
            cert = sign(subjectName, keys, subjectName, keys, null, notBefore, notAfter, false, sans, purpose);
        } else {
            cert = sign(subjectName, keys, X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded()),
                    new KeyPair(issuer.certificate().getPublicKey(), issuer.privateKey()), issuer.certificate(),
                    notBefore, notAfter, false, sans, purpose);
        }
        return new Credential(name, List.of(cert), keys.getPrivate());
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
            X509Certificate issuerCert, Instant notBefore, Instant notAfter, boolean isCa, List<GeneralName> sans,
            KeyPurposeId purpose) throws GeneralSecurityException, OperatorCreationException, CertIOException {
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(notBefore), Date.from(notAfter), subject, subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKeys.getPublic()));
        if (isCa) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(sans.toArray(new GeneralName[0])));
        }
        if (issuerCert != null) {
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
        }
        ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(issuerKeys.getPrivate());
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer));
        cert.verify(issuerKeys.getPublic());
        return Objects.requireNonNull(cert);
    }

    /** Through the JDK's parser: RFC 2253 lists the most specific name first, DER stores it last. */
    private static X500Name x500(String rfc2253) {
        return X500Name.getInstance(new X500Principal(rfc2253).getEncoded());
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return generator.generateKeyPair();
    }
}
