package io.reactivesmtp;

import io.reactivesmtp.internal.SafeText;
import java.util.Locale;

/**
 * How a session to a recipient domain's MX host uses TLS, named and meant as Postfix's
 * {@code smtp_tls_security_level}. Submission relays do not use levels: they use {@link TlsPolicy}
 * ({@link TlsPolicy#REQUIRED}, verified, by default).
 *
 * <p>{@link #DANE} is the default of MX routing: where the MX host publishes DNSSEC-validated TLSA records it
 * is authenticated by them, elsewhere it is {@link #MAY}. A per-domain policy (MTA-STS, or a configured one) can
 * raise the level of a domain; nothing lowers a level a policy demands.
 */
public enum MxTlsLevel {

    /**
     * Opportunistic TLS: STARTTLS when offered, the certificate not authenticated (self-signed, expired and
     * mismatched certificates are all accepted: most MX hosts have one of those). Plaintext when STARTTLS is not
     * offered or refused; when the TLS handshake fails, the same host once more in plaintext, and the report says
     * so.
     */
    MAY,
    /** Mandatory TLS, the certificate not authenticated: no STARTTLS or a failed handshake fails the host. */
    ENCRYPT,
    /**
     * DANE (RFC 7672): with usable DNSSEC-validated TLSA records, mandatory TLS authenticated by them; with TLSA
     * records none of which is usable, mandatory unauthenticated TLS ({@link #ENCRYPT}); without TLSA (or with
     * TLSA not DNSSEC-validated), {@link #MAY}. A TLSA lookup that fails skips the host: never plaintext instead.
     */
    DANE,
    /** Mandatory TLS, the certificate verified by the trusted CAs and matched against the MX host's name. */
    VERIFY,
    /**
     * Mandatory TLS, the certificate verified by the trusted CAs and matched against the recipient domain (the
     * next hop) rather than the MX host's name, which came from DNS an attacker may forge.
     */
    SECURE;

    /** @return the Postfix name, {@code "may"}, {@code "encrypt"}, {@code "dane"}, {@code "verify"} or {@code "secure"} */
    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return whether a session at this level must use TLS (every level but {@link #MAY}) */
    public boolean requiresTls() {
        return this != MAY;
    }

    /**
     * @param name a level's Postfix name, any case
     * @return the level
     * @throws IllegalArgumentException naming the input and the accepted names
     */
    public static MxTlsLevel of(String name) {
        if (name != null) {
            for (MxTlsLevel l : values()) {
                if (l.displayName().equalsIgnoreCase(name.trim())) {
                    return l;
                }
            }
        }
        throw new IllegalArgumentException("invalid TLS level \"" + (name == null ? "null" : SafeText.escape(name))
                + "\": expected may, encrypt, dane, verify or secure");
    }
}
