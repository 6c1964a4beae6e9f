package io.reactivesmtp.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * DKIM keys generated for the tests (RSA 2048, Ed25519, once per JVM) and written as PEM in the forms users have:
 * PKCS#1 ({@code BEGIN RSA PRIVATE KEY}), PKCS#8 ({@code BEGIN PRIVATE KEY}), and encrypted ones for the error
 * tests.
 */
public final class DkimTestKeys {

    private DkimTestKeys() {
    }

    private static final class Holder {
        static final KeyPair RSA = generate("RSA", 2048);
        static final KeyPair ED25519 = generate("Ed25519", 0);
    }

    private static KeyPair generate(String algorithm, int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (bits > 0) {
                g.initialize(bits);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the RSA 2048 key pair */
    public static KeyPair rsa() {
        return Holder.RSA;
    }

    /** @return the Ed25519 key pair */
    public static KeyPair ed25519() {
        return Holder.ED25519;
    }

    /** Writes the RSA key as PKCS#1 ({@code BEGIN RSA PRIVATE KEY}). */
    public static Path rsaPkcs1(Path file) {
        try {
            return write(file, pem(new JcaMiscPEMGenerator(rsa().getPrivate()).generate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the RSA key as PKCS#8 ({@code BEGIN PRIVATE KEY}). */
    public static Path rsaPkcs8(Path file) {
        return writePkcs8(file, rsa().getPrivate());
    }

    /** Writes the Ed25519 key as PKCS#8, like {@code openssl genpkey -algorithm ed25519}. */
    public static Path ed25519Pkcs8(Path file) {
        return writePkcs8(file, ed25519().getPrivate());
    }

    /** Writes a key as unencrypted PKCS#8. */
    public static Path writePkcs8(Path file, PrivateKey key) {
        try {
            byte[] der = PrivateKeyInfo.getInstance(key.getEncoded()).getEncoded();
            return write(file, pem(new PemObject("PRIVATE KEY", der)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the RSA key as encrypted PKCS#8 ({@code BEGIN ENCRYPTED PRIVATE KEY}). */
    public static Path rsaEncryptedPkcs8(Path file) {
        try {
            OutputEncryptor encryptor = new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                    .setProvider(new BouncyCastleProvider()).setRandom(new SecureRandom())
                    .setPassword("secret".toCharArray()).build();
            return write(file, pem(new JcaPKCS8Generator(rsa().getPrivate(), encryptor).generate()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the RSA key as encrypted PKCS#1 ({@code Proc-Type: 4,ENCRYPTED}). */
    public static Path rsaEncryptedPkcs1(Path file) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(rsa().getPrivate(), new JcePEMEncryptorBuilder("AES-128-CBC")
                    .setProvider(new BouncyCastleProvider()).build("secret".toCharArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return write(file, out.toString());
    }

    /** Writes an EC P-256 key as PKCS#8: a key DKIM cannot use. */
    public static Path ecPkcs8(Path file) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return writePkcs8(file, g.generateKeyPair().getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the RSA public key ({@code BEGIN PUBLIC KEY}): not a private key. */
    public static Path rsaPublic(Path file) {
        return write(file, pem(new PemObject("PUBLIC KEY", rsa().getPublic().getEncoded())));
    }

    private static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(object instanceof PemObject ? (PemObject) object
                    : (org.bouncycastle.util.io.pem.PemObjectGenerator) object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static Path write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
