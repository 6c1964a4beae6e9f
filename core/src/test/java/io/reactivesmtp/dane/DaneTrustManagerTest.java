package io.reactivesmtp.dane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.testing.TestPki;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

class DaneTrustManagerTest {

    private static final X509Certificate GOOD = TestPki.good().certificate();
    private static final X509Certificate CA = TestPki.ca().certificate();

    private static byte[] sha(String algorithm, byte[] bytes) throws Exception {
        return MessageDigest.getInstance(algorithm).digest(bytes);
    }

    private static DaneTrustManager trusting(TlsaRecord... records) {
        return new DaneTrustManager(List.of(records));
    }

    @Test
    void daneEeMatchesSpkiSha256FullCertSha512AndExact() throws Exception {
        X509Certificate[] chain = {GOOD};
        TlsaRecord spki256 = TlsaRecord.of(3, 1, 1, sha("SHA-256", GOOD.getPublicKey().getEncoded()));
        TlsaRecord cert512 = TlsaRecord.of(3, 0, 2, sha("SHA-512", GOOD.getEncoded()));
        TlsaRecord exact = TlsaRecord.of(3, 0, 0, GOOD.getEncoded());
        for (TlsaRecord r : List.of(spki256, cert512, exact)) {
            assertThatCode(() -> trusting(r).check(chain, "mx.example.test")).as(r.toString()).doesNotThrowAnyException();
        }
    }

    @Test
    void daneEeIgnoresNamesAndExpiry() throws Exception {
        // Self-signed, expired, issued for another host: DANE-EE looks at the key only (RFC 7672 §3.1.1).
        for (TestPki.Credential c : List.of(TestPki.selfSigned(), TestPki.expired(), TestPki.wrongHost())) {
            X509Certificate cert = c.certificate();
            TlsaRecord r = TlsaRecord.of(3, 1, 1, sha("SHA-256", cert.getPublicKey().getEncoded()));
            assertThatCode(() -> trusting(r).check(new X509Certificate[] {cert}, "mx.other.test"))
                    .as(c.name()).doesNotThrowAnyException();
        }
    }

    @Test
    void daneEeMismatchingHashIsRefused() throws Exception {
        byte[] other = sha("SHA-256", TestPki.selfSigned().certificate().getPublicKey().getEncoded());
        assertThatThrownBy(() -> trusting(TlsaRecord.of(3, 1, 1, other)).check(new X509Certificate[] {GOOD}, "localhost"))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("no TLSA record of localhost matches");
    }

    @Test
    void daneTaChecksChainAndName() throws Exception {
        TlsaRecord ta = TlsaRecord.of(2, 1, 1, sha("SHA-256", CA.getPublicKey().getEncoded()));
        assertThatCode(() -> trusting(ta).check(new X509Certificate[] {GOOD, CA}, "localhost"))
                .doesNotThrowAnyException();
        // Issued by the anchor but for another name.
        assertThatThrownBy(() -> trusting(ta).check(new X509Certificate[] {TestPki.wrongHost().certificate(), CA},
                "localhost")).hasMessageContaining("not the MX host localhost");
        // Expired below the anchor: unlike DANE-EE, DANE-TA checks the dates.
        assertThatThrownBy(() -> trusting(ta).check(new X509Certificate[] {TestPki.expired().certificate(), CA},
                "localhost")).hasMessageContaining("is not valid");
        // The anchor not in the chain the server sent.
        assertThatThrownBy(() -> trusting(ta).check(new X509Certificate[] {GOOD}, "localhost"))
                .hasMessageContaining("no TLSA record");
        // A chain that does not lead to the anchor: self-signed leaf followed by the CA.
        assertThatThrownBy(() -> trusting(ta).check(new X509Certificate[] {TestPki.selfSigned().certificate(), CA},
                "localhost")).hasMessageContaining("DANE");
    }

    @Test
    void wildcardNamesMatchOneLabel() {
        assertThat(CertNames.matches("*.example.test", "mx.example.test")).isTrue();
        assertThat(CertNames.matches("*.example.test", "a.mx.example.test")).isFalse();
        assertThat(CertNames.matches("*.example.test", "example.test")).isFalse();
        assertThat(CertNames.matches("*.test", "example.test")).isFalse();
        assertThat(CertNames.matches("m*.example.test", "mx.example.test")).isFalse();
    }

    @Test
    void unusableRecordsAreIgnoredAndAnAllUnusableSetIsRefused() throws Exception {
        byte[] hash = sha("SHA-256", GOOD.getPublicKey().getEncoded());
        TlsaRecord pkixEe = TlsaRecord.of(1, 1, 1, hash);   // usage 1: PKIX-EE, not for SMTP
        TlsaRecord unknownUsage = TlsaRecord.of(7, 1, 1, hash);
        TlsaRecord badSelector = TlsaRecord.of(3, 5, 1, hash);
        TlsaRecord shortDigest = TlsaRecord.of(3, 1, 2, hash); // SHA-512 of 32 bytes
        assertThat(List.of(pkixEe, unknownUsage, badSelector, shortDigest)).noneMatch(TlsaRecord::isUsable);
        assertThatThrownBy(() -> new DaneTrustManager(List.of(pkixEe, unknownUsage, badSelector, shortDigest)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no usable TLSA record");
        TlsaRecord ee = TlsaRecord.of(3, 1, 1, hash);
        assertThat(trusting(unknownUsage, ee).records()).containsExactly(ee);
    }

    @Test
    void parsesWireForm() {
        TlsaRecord r = TlsaRecord.parse(new byte[] {3, 1, 1, 9, 8});
        assertThat(r.usage()).isEqualTo(3);
        assertThat(r.data()).containsExactly(9, 8);
        assertThat(r.toString()).isEqualTo("3 1 1 0908");
        assertThatThrownBy(() -> TlsaRecord.parse(new byte[] {3, 1, 1})).hasMessageContaining("too short");
    }
}
