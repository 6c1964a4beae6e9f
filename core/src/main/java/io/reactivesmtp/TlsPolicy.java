package io.reactivesmtp;

/**
 * Whether and how a session protects the connection with TLS. {@link #REQUIRED} is the default.
 *
 * <p>Whenever TLS is used, whatever the policy, the server's certificate chain and host name are verified
 * (RFC 8314, RFC 7817) unless {@link TlsOptions.Builder#insecureTrustAllCertificates()} was chosen: an
 * opportunistic session that meets a bad certificate fails rather than falling back to plaintext, because
 * a man in the middle can present any certificate he likes.
 */
public enum TlsPolicy {

    /** Never use TLS, even when the server advertises STARTTLS. Everything, AUTH included, goes in plaintext. */
    NONE,

    /**
     * Use STARTTLS when the server advertises it, and go on in plaintext when it does not. When TLS is used,
     * certificates and host names are still verified; a failed verification fails the session.
     *
     * <p>This only protects against passive eavesdroppers: an active attacker can strip the STARTTLS
     * capability from the EHLO reply. Use {@link #REQUIRED} when that matters.
     */
    OPPORTUNISTIC,

    /**
     * The default. Use STARTTLS, and fail the session with a {@link SmtpTlsException} before any MAIL or
     * AUTH is sent when the server does not advertise it, refuses it, or the handshake or the verification
     * of its certificate fails (RFC 3207).
     */
    REQUIRED,

    /**
     * TLS from the first byte, before the greeting, as on the submissions port 465 (RFC 8314). STARTTLS is
     * never sent. A server that answers in plaintext fails the session; there is no fallback.
     */
    IMPLICIT;

    /** @return whether the session starts with a TLS handshake instead of a plaintext greeting */
    public boolean isImplicit() {
        return this == IMPLICIT;
    }
}
