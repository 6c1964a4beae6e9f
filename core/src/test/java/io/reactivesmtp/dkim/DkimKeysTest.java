package io.reactivesmtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.testing.DkimTestKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM loading: the forms users have, and a clear error naming the file (never the key) for the others. */
class DkimKeysTest {

    @TempDir
    Path dir;

    @Test
    void readsRsaPkcs1AndPkcs8AndEd25519Pkcs8() {
        PrivateKey pkcs1 = DkimKeys.readPem(DkimTestKeys.rsaPkcs1(dir.resolve("rsa1.pem")));
        PrivateKey pkcs8 = DkimKeys.readPem(DkimTestKeys.rsaPkcs8(dir.resolve("rsa8.pem")));
        PrivateKey ed = DkimKeys.readPem(DkimTestKeys.ed25519Pkcs8(dir.resolve("ed.pem")));
        assertThat(pkcs1.getEncoded()).isEqualTo(DkimTestKeys.rsa().getPrivate().getEncoded());
        assertThat(pkcs8.getEncoded()).isEqualTo(DkimTestKeys.rsa().getPrivate().getEncoded());
        assertThat(DkimSigner.builder().key(pkcs1).domain("example.com").selector("a").build().algorithm())
                .isEqualTo(DkimAlgorithm.RSA_SHA256);
        assertThat(DkimSigner.builder().key(ed).domain("example.com").selector("a").build().algorithm())
                .isEqualTo(DkimAlgorithm.ED25519_SHA256);
        assertThat(DkimKeys.dnsRecord(pkcs8)).isEqualTo("v=DKIM1; k=rsa; p="
                + Base64.getEncoder().encodeToString(DkimTestKeys.rsa().getPublic().getEncoded()));
        byte[] edPublic = DkimTestKeys.ed25519().getPublic().getEncoded(); // SPKI: 12-byte prefix, 32-byte key
        assertThat(DkimKeys.dnsRecord(ed)).isEqualTo("v=DKIM1; k=ed25519; p="
                + Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(edPublic, 12, 44)));
    }

    @Test
    void encryptedKeysAreRefusedNamingTheFile() {
        Path p8 = DkimTestKeys.rsaEncryptedPkcs8(dir.resolve("enc8.pem"));
        Path p1 = DkimTestKeys.rsaEncryptedPkcs1(dir.resolve("enc1.pem"));
        assertThatThrownBy(() -> DkimKeys.readPem(p8)).isInstanceOf(DkimKeyException.class)
                .hasMessageContaining(p8.toString()).hasMessageContaining("encrypted");
        assertThatThrownBy(() -> DkimKeys.readPem(p1)).isInstanceOf(DkimKeyException.class)
                .hasMessageContaining(p1.toString()).hasMessageContaining("encrypted");
    }

    @Test
    void wrongKindsAreRefusedNamingTheFileAndTheProblem() throws Exception {
        Path ec = DkimTestKeys.ecPkcs8(dir.resolve("ec.pem"));
        assertThatThrownBy(() -> DkimKeys.readPem(ec)).isInstanceOf(DkimKeyException.class)
                .hasMessageContaining(ec.toString()).hasMessageContaining("unsupported type EC");
        Path pub = DkimTestKeys.rsaPublic(dir.resolve("pub.pem"));
        assertThatThrownBy(() -> DkimKeys.readPem(pub)).hasMessageContaining(pub.toString())
                .hasMessageContaining("public key, not the private key");
        Path text = Files.writeString(dir.resolve("text.pem"), "hello\n");
        assertThatThrownBy(() -> DkimKeys.readPem(text)).hasMessageContaining(text.toString())
                .hasMessageContaining("holds no PEM private key");
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> DkimKeys.readPem(missing)).isInstanceOf(DkimKeyException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("cannot be read");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(512);
        Path small = DkimTestKeys.writePkcs8(dir.resolve("small.pem"), g.generateKeyPair().getPrivate());
        assertThatThrownBy(() -> DkimKeys.readPem(small)).hasMessageContaining(small.toString())
                .hasMessageContaining("512-bit RSA key");
    }

    @Test
    void aCorruptKeyIsRefusedWithoutEchoingIt() throws Exception {
        Path good = DkimTestKeys.rsaPkcs8(dir.resolve("good.pem"));
        String pem = Files.readString(good);
        String body = pem.substring(pem.indexOf('\n') + 1, pem.indexOf("-----END"));
        String corrupt = pem.replace(body, body.substring(0, body.length() / 2) + "\n");
        Path bad = Files.writeString(dir.resolve("bad.pem"), corrupt);
        assertThatThrownBy(() -> DkimKeys.readPem(bad)).isInstanceOf(DkimKeyException.class)
                .hasMessageContaining(bad.toString())
                .satisfies(e -> {
                    for (String line : body.split("\n")) {
                        assertThat(e.getMessage()).doesNotContain(line.trim());
                        if (e.getCause() != null && e.getCause().getMessage() != null) {
                            assertThat(e.getCause().getMessage()).doesNotContain(line.trim());
                        }
                    }
                });
    }
}
