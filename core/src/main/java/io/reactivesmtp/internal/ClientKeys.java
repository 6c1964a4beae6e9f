package io.reactivesmtp.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;

/** The private key of a TLS client certificate: read from PEM and checked against the certificate before use. */
public final class ClientKeys {

    private ClientKeys() {
    }

    /**
     * Reads the client's private key and checks that it belongs to the certificate.
     *
     * @param file a PEM file with an unencrypted PKCS#8 key ({@code BEGIN PRIVATE KEY})
     * @param certificate the client certificate the key must match
     * @return the key
     * @throws IllegalArgumentException naming the file when it holds no such key, an encrypted one, a malformed one,
     *     or one of another certificate
     */
    public static PrivateKey read(Path file, X509Certificate certificate) {
        String what = "client private key";
        String found = null;
        for (Pem.Block block : Pem.blocks(what + " " + file, Pem.read(file, what))) {
            if (!block.type().equals("PRIVATE KEY")) {
                found = found == null ? block.type() : found;
                continue;
            }
            PublicKey publicKey = certificate.getPublicKey();
            PrivateKey key;
            try {
                key = KeyFactory.getInstance(publicKey.getAlgorithm())
                        .generatePrivate(new PKCS8EncodedKeySpec(block.der()));
            } catch (IllegalArgumentException | GeneralSecurityException e) {
                throw new IllegalArgumentException(what + " " + file + " is not a valid PKCS#8 "
                        + publicKey.getAlgorithm() + " private key (the client certificate's key type): "
                        + e.getClass().getSimpleName(), e);
            }
            checkKeyMatches(file, key, certificate);
            return key;
        }
        if ("ENCRYPTED PRIVATE KEY".equals(found)) {
            throw new IllegalArgumentException(what + " " + file + " is encrypted: an unencrypted PKCS#8 key is"
                    + " needed (openssl pkcs8 -topk8 -nocrypt)");
        }
        throw new IllegalArgumentException(what + " " + file + " contains no PKCS#8 private key"
                + " (-----BEGIN PRIVATE KEY-----)" + (found != null ? ", only " + found
                + " (convert with openssl pkcs8 -topk8 -nocrypt)" : ""));
    }

    /** A key that does not match the certificate only shows as an obscure handshake failure later. */
    private static void checkKeyMatches(Path file, PrivateKey key, X509Certificate certificate) {
        String algorithm;
        switch (key.getAlgorithm()) {
            case "RSA":
                algorithm = "SHA256withRSA";
                break;
            case "EC":
                algorithm = "SHA256withECDSA";
                break;
            case "EdDSA":
            case "Ed25519":
            case "Ed448":
                algorithm = "EdDSA";
                break;
            default:
                return; // unusual key types: the handshake will tell
        }
        boolean matches;
        try {
            byte[] challenge = "reactive-smtp key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new IllegalArgumentException("client private key " + file
                    + " does not match the client certificate " + certificate.getSubjectX500Principal());
        }
    }
}
