package io.reactivesmtp.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.SslContext;
import io.reactivesmtp.testing.TestPki.Credential;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestPkiTest {

    private static final long DAY = 24L * 60 * 60 * 1000;
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int DNS = 2;
    private static final int IP = 7;

    @TempDir
    Path dir;

    private static List<List<?>> sans(X509Certificate cert) throws Exception {
        Collection<List<?>> names = cert.getSubjectAlternativeNames();
        return names == null ? List.of() : new ArrayList<>(names);
    }

    /** The JDK's PKIX trust manager trusting only the test CA: what a verifying client does with the chain. */
    private static X509TrustManager trustingCa() throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("ca", TestPki.ca().certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        return (X509TrustManager) tmf.getTrustManagers()[0];
    }

    private static X509Certificate[] chain(Credential c) {
        return c.chain().toArray(new X509Certificate[0]);
    }

    @Test
    void caIsASelfSignedCertificateAuthority() throws Exception {
        X509Certificate ca = TestPki.ca().certificate();
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo(TestPki.CA_SUBJECT);
        assertThat(ca.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(ca.getKeyUsage()[5]).as("keyCertSign").isTrue();
        ca.verify(ca.getPublicKey());
        ca.checkValidity();
    }

    @Test
    void goodIsForLocalhostAndLoopbackSignedByTheCa() throws Exception {
        X509Certificate good = TestPki.good().certificate();
        assertThat(sans(good)).containsExactlyInAnyOrder(List.of(DNS, "localhost"), List.of(IP, "127.0.0.1"));
        assertThat(good.getIssuerX500Principal()).isEqualTo(TestPki.ca().certificate().getSubjectX500Principal());
        assertThat(good.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        assertThat(good.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
        good.verify(TestPki.ca().certificate().getPublicKey());
        good.checkValidity();
        trustingCa().checkServerTrusted(chain(TestPki.good()), "ECDHE_ECDSA");
    }

    @Test
    void expiredEndedYesterday() throws Exception {
        X509Certificate expired = TestPki.expired().certificate();
        long now = System.currentTimeMillis();
        assertThat(expired.getNotAfter()).isBefore(new Date(now - DAY / 2)).isAfter(new Date(now - 2 * DAY));
        assertThat(sans(expired)).containsExactlyInAnyOrder(List.of(DNS, "localhost"), List.of(IP, "127.0.0.1"));
        expired.verify(TestPki.ca().certificate().getPublicKey());
        assertThatThrownBy(expired::checkValidity).isInstanceOf(CertificateExpiredException.class);
        assertThatThrownBy(() -> trustingCa().checkServerTrusted(chain(TestPki.expired()), "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void wrongHostNamesOnlyAnotherHost() throws Exception {
        X509Certificate wrong = TestPki.wrongHost().certificate();
        assertThat(sans(wrong)).containsExactly(List.of(DNS, "mail.example.org"));
        wrong.verify(TestPki.ca().certificate().getPublicKey());
        wrong.checkValidity();
        // Trusted as a chain: only the host name check can refuse it.
        trustingCa().checkServerTrusted(chain(TestPki.wrongHost()), "ECDHE_ECDSA");
    }

    @Test
    void selfSignedIsNotSignedByTheCa() throws Exception {
        X509Certificate self = TestPki.selfSigned().certificate();
        assertThat(self.getIssuerX500Principal()).isEqualTo(self.getSubjectX500Principal());
        assertThat(sans(self)).containsExactlyInAnyOrder(List.of(DNS, "localhost"), List.of(IP, "127.0.0.1"));
        self.verify(self.getPublicKey());
        assertThatThrownBy(() -> self.verify(TestPki.ca().certificate().getPublicKey()))
                .isInstanceOf(SignatureException.class);
        self.checkValidity();
        assertThatThrownBy(() -> trustingCa().checkServerTrusted(chain(TestPki.selfSigned()), "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void clientIsForClientAuthentication() throws Exception {
        X509Certificate client = TestPki.client().certificate();
        assertThat(client.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        client.verify(TestPki.ca().certificate().getPublicKey());
        trustingCa().checkClientTrusted(chain(TestPki.client()), "ECDHE_ECDSA");
    }

    @Test
    void generatedOncePerJvmWithDistinctSerials() {
        assertThat(TestPki.good()).isSameAs(TestPki.good());
        assertThat(TestPki.ca().certificate()).isSameAs(TestPki.ca().certificate());
        assertThat(List.of(TestPki.ca(), TestPki.good(), TestPki.expired(), TestPki.wrongHost(), TestPki.selfSigned(),
                TestPki.client()).stream().map(c -> c.certificate().getSerialNumber()).distinct().count())
                .isEqualTo(6);
    }

    @Test
    void writesPemFilesThatParseBack() throws Exception {
        Path caPem = TestPki.caPem(dir);
        assertThat(caPem.getFileName().toString()).isEqualTo("ca.pem");
        try (InputStream in = Files.newInputStream(caPem)) {
            assertThat(new ArrayList<Object>(CertificateFactory.getInstance("X.509").generateCertificates(in)))
                    .containsExactly(TestPki.ca().certificate());
        }

        Path certPem = TestPki.good().writeCertPem(dir);
        assertThat(certPem.getFileName().toString()).isEqualTo("good-cert.pem");
        try (InputStream in = Files.newInputStream(certPem)) {
            assertThat(new ArrayList<Object>(CertificateFactory.getInstance("X.509").generateCertificates(in)))
                    .containsExactly(TestPki.good().certificate());
        }

        Path keyPem = TestPki.good().writeKeyPem(dir);
        String key = Files.readString(keyPem, StandardCharsets.US_ASCII);
        assertThat(key).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
        String body = key.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "");
        PrivateKey parsed = KeyFactory.getInstance("EC")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(body)));
        assertThat(parsed).isEqualTo(TestPki.good().privateKey());
    }

    @Test
    void serverContextsAreServerSide() {
        SslContext plain = TestPki.serverContext(TestPki.good());
        SslContext mutual = TestPki.serverContextRequiringClientAuth(TestPki.good());
        assertThat(plain.isServer()).isTrue();
        assertThat(mutual.isServer()).isTrue();
    }
}
