package io.reactivesmtp.dkim;

/** The signing algorithms of the {@code a=} tag; the key type decides which one a signer uses. */
public enum DkimAlgorithm {
    /** RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 section 3.3.1). */
    RSA_SHA256("rsa-sha256", "rsa"),
    /** PureEdDSA Ed25519 over the SHA-256 hash of the signed data (RFC 8463). */
    ED25519_SHA256("ed25519-sha256", "ed25519");

    private final String tag;
    private final String keyType;

    DkimAlgorithm(String tag, String keyType) {
        this.tag = tag;
        this.keyType = keyType;
    }

    /** @return the value of the {@code a=} tag, e.g. {@code rsa-sha256} */
    public String tag() {
        return tag;
    }

    /** @return the {@code k=} value of the key's DNS record, {@code rsa} or {@code ed25519} */
    public String keyType() {
        return keyType;
    }
}
