package io.reactivesmtp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

    @TempDir
    Path dir;

    @Test
    void blocksAreReadInOrderAndTextBetweenThemIsIgnored() {
        String text = "# a comment\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\nsome text\n"
                + "-----BEGIN PRIVATE KEY-----\nAwQF\n-----END PRIVATE KEY-----\n";
        List<Pem.Block> blocks = Pem.blocks("test", text);
        assertThat(blocks).extracting(Pem.Block::type).containsExactly("CERTIFICATE", "PRIVATE KEY");
        assertThat(blocks.get(0).der()).containsExactly(0, 1, 2);
        assertThat(blocks.get(1).der()).containsExactly(3, 4, 5);
        assertThat(Pem.blocks("test", "no pem here\n")).isEmpty();
    }

    @Test
    void aMalformedBlockIsNamedWithoutQuotingTheContent() {
        String secret = "c2VjcmV0LWtleS1tYXRlcmlhbA$$$";
        assertThatThrownBy(() -> Pem.blocks("DKIM key file k.pem",
                "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("DKIM key file k.pem: PEM block 1 is malformed")
                .hasMessageNotContaining(secret);
        assertThatThrownBy(() -> Pem.blocks("bundle", "-----BEGIN CERTIFICATE-----\nAAEC\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bundle: PEM block 1");
    }

    @Test
    void certificatesOfABundleAreRead() throws Exception {
        Path a = TestPki.good().writeCertPem(dir);
        Path b = TestPki.selfSigned().writeCertPem(dir);
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, "# bundle\n" + Files.readString(a) + "\n" + Files.readString(b)
                + Files.readString(TestPki.good().writeKeyPem(dir)));
        assertThat(Pem.certificates(bundle, "CA bundle")).hasSize(2);
    }

    @Test
    void filesThatCannotBeUsedAreNamed() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> Pem.read(missing, "CA bundle")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CA bundle " + missing + " cannot be read: it does not exist or is not a regular file");
        assertThatThrownBy(() -> Pem.read(dir, "CA bundle")).hasMessageContaining("CA bundle " + dir);
        Path keyOnly = TestPki.good().writeKeyPem(dir);
        assertThatThrownBy(() -> Pem.certificates(keyOnly, "CA bundle"))
                .hasMessage("CA bundle " + keyOnly + " contains no PEM certificate (-----BEGIN CERTIFICATE-----)");
        Path bad = dir.resolve("bad.pem");
        Files.writeString(bad, "-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> Pem.certificates(bad, "CA bundle"))
                .hasMessageStartingWith("CA bundle " + bad + ": certificate 1 is malformed");
    }
}
