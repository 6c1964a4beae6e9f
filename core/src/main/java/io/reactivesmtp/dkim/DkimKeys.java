package io.reactivesmtp.dkim;

import io.reactivesmtp.internal.Pem;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.Objects;

/**
 * Loads DKIM private keys from PEM: RSA as PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or PKCS#8
 * ({@code BEGIN PRIVATE KEY}), Ed25519 as PKCS#8 (what {@code openssl genpkey -algorithm ed25519} writes).
 *
 * <pre>{@code
 * PrivateKey key = DkimKeys.readPem(Path.of("dkim/brisbane.pem"));   // DkimKeyException naming the file
 * String txt = DkimKeys.dnsRecord(key);   // "v=DKIM1; k=rsa; p=MIIB..." for brisbane._domainkey.example.com
 * }</pre>
 *
 * <p>Every error is a {@link DkimKeyException} naming the file and the problem (encrypted, not a private key,
 * unsupported type, RSA shorter than 1024 bits); no error message ever contains key material.
 */
public final class DkimKeys {

    /** RFC 8301 section 3.2: verifiers must not accept RSA keys shorter than this. */
    static final int MIN_RSA_BITS = 1024;

    private DkimKeys() {
    }

    /**
     * Reads the first private key of a PEM file.
     *
     * @param file the PEM file
     * @return the key, RSA or Ed25519
     * @throws DkimKeyException if the file cannot be read or holds no usable, unencrypted RSA or Ed25519 key
     */
    public static PrivateKey readPem(Path file) {
        Objects.requireNonNull(file, "file");
        String text;
        try {
            text = Pem.read(file, "DKIM key file");
        } catch (IllegalArgumentException e) {
            throw new DkimKeyException(e.getMessage(), e.getCause());
        }
        return readPem("DKIM key file " + file, new StringReader(text));
    }

    /**
     * Reads the first private key of PEM text.
     *
     * @param source names the text in error messages, e.g. {@code "DKIM key file /etc/dkim/a.pem"}
     * @param pem the PEM text
     * @return the key, RSA or Ed25519
     * @throws DkimKeyException if the text holds no usable, unencrypted RSA or Ed25519 private key
     */
    public static PrivateKey readPem(String source, Reader pem) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(pem, "pem");
        Object object;
        try (PEMParser parser = new PEMParser(pem)) {
            object = parser.readObject();
            while (object != null && !isKeyLike(object)) {
                object = parser.readObject(); // skip parameters, certificates before the key...
            }
        } catch (IOException | RuntimeException e) {
            // BC's messages describe the structure, not the key; still only the class name is passed on.
            throw new DkimKeyException(source + " is not valid PEM (" + e.getClass().getSimpleName() + ")", e);
        }
        if (object == null) {
            throw new DkimKeyException(source + " holds no PEM private key (expected BEGIN PRIVATE KEY or BEGIN "
                    + "RSA PRIVATE KEY)", null);
        }
        if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
            throw new DkimKeyException(source + " holds an encrypted private key; DKIM signing needs it unencrypted "
                    + "(e.g. openssl pkey -in FILE -out NEW.pem), kept readable only by the sender", null);
        }
        if (object instanceof SubjectPublicKeyInfo) {
            throw new DkimKeyException(source + " holds a public key, not the private key", null);
        }
        PrivateKeyInfo info = object instanceof PEMKeyPair ? ((PEMKeyPair) object).getPrivateKeyInfo()
                : (PrivateKeyInfo) object;
        return toKey(source, info);
    }

    private static boolean isKeyLike(Object o) {
        return o instanceof PEMKeyPair || o instanceof PrivateKeyInfo || o instanceof PEMEncryptedKeyPair
                || o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof SubjectPublicKeyInfo;
    }

    private static PrivateKey toKey(String source, PrivateKeyInfo info) {
        var oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        if (!oid.equals(PKCSObjectIdentifiers.rsaEncryption) && !oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
            throw new DkimKeyException(source + " holds a private key of unsupported type " + describe(oid.getId())
                    + "; DKIM signs with RSA (rsa-sha256) or Ed25519 (ed25519-sha256)", null);
        }
        PrivateKey key;
        try {
            key = new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) {
            throw new DkimKeyException(source + " holds a malformed private key (" + e.getClass().getSimpleName() + ")", e);
        }
        check(source, key);
        return key;
    }

    /** Checks that a key can sign DKIM: RSA of at least 1024 bits, or Ed25519. */
    static DkimAlgorithm check(String source, PrivateKey key) {
        String alg = key.getAlgorithm();
        if ("RSA".equals(alg)) {
            if (key instanceof RSAPrivateCrtKey) {
                int bits = ((RSAPrivateCrtKey) key).getModulus().bitLength();
                if (bits < MIN_RSA_BITS) {
                    throw new DkimKeyException(source + " holds a " + bits + "-bit RSA key; DKIM needs at least "
                            + MIN_RSA_BITS + " bits (RFC 8301), 2048 recommended", null);
                }
            }
            return DkimAlgorithm.RSA_SHA256;
        }
        if ("Ed25519".equals(alg) || "EdDSA".equals(alg) && key.getFormat() != null && isEd25519(key)) {
            return DkimAlgorithm.ED25519_SHA256;
        }
        throw new DkimKeyException(source + " is a key of unsupported type " + alg
                + "; DKIM signs with RSA (rsa-sha256) or Ed25519 (ed25519-sha256)", null);
    }

    private static boolean isEd25519(PrivateKey key) {
        try {
            return PrivateKeyInfo.getInstance(key.getEncoded()).getPrivateKeyAlgorithm().getAlgorithm()
                    .equals(EdECObjectIdentifiers.id_Ed25519);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String describe(String oid) {
        switch (oid) {
            case "1.2.840.10045.2.1":
                return "EC (ECDSA)";
            case "1.3.101.113":
                return "Ed448";
            case "1.2.840.10040.4.1":
                return "DSA";
            default:
                return "OID " + oid;
        }
    }

    /**
     * The DNS TXT record that publishes the public half of a key, to be put at
     * {@code SELECTOR._domainkey.DOMAIN}: {@code v=DKIM1; k=rsa; p=...} (the SubjectPublicKeyInfo, RFC 6376) or
     * {@code v=DKIM1; k=ed25519; p=...} (the raw 32-byte key, RFC 8463).
     *
     * @param key an RSA (CRT) or Ed25519 private key
     * @return the record text
     * @throws DkimKeyException if the public key cannot be derived from this key
     */
    public static String dnsRecord(PrivateKey key) {
        Objects.requireNonNull(key, "key");
        DkimAlgorithm algorithm = check("the key", key);
        byte[] publicBytes;
        try {
            if (algorithm == DkimAlgorithm.RSA_SHA256) {
                if (!(key instanceof RSAPrivateCrtKey)) {
                    throw new DkimKeyException("the RSA key has no public exponent (not a CRT key): cannot derive "
                            + "its public key", null);
                }
                RSAPrivateCrtKey rsa = (RSAPrivateCrtKey) key;
                publicBytes = KeyFactory.getInstance("RSA")
                        .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent())).getEncoded();
            } else {
                Ed25519PrivateKeyParameters ed = (Ed25519PrivateKeyParameters) PrivateKeyFactory.createKey(
                        PrivateKeyInfo.getInstance(key.getEncoded()));
                publicBytes = ed.generatePublicKey().getEncoded();
            }
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            if (e instanceof DkimKeyException) {
                throw (DkimKeyException) e;
            }
            throw new DkimKeyException("cannot derive the public key (" + e.getClass().getSimpleName() + ")", e);
        }
        return "v=DKIM1; k=" + algorithm.keyType() + "; p=" + Base64.getEncoder().encodeToString(publicBytes);
    }
}
