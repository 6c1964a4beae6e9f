package io.reactivesmtp;

/**
 * TLS could not be established or verified, or the {@link TlsPolicy#REQUIRED} policy could not be met.
 *
 * <p>Raised for a failed handshake; a server certificate that is untrusted, expired, or issued for another
 * host; a plaintext answer on an implicit-TLS port; and a server that does not advertise STARTTLS or refuses
 * it while TLS is required. It is raised before any MAIL or AUTH is sent, so nothing was delivered and no
 * credential left the client.
 *
 * <p>Not retryable: sending again to the same server meets the same certificate and the same capabilities.
 * Fixing it needs a change of configuration (trust, expected server name, policy) or of the server.
 */
public class SmtpTlsException extends SmtpException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, naming the server and, for a certificate, why it was refused
     * @param cause the TLS engine's error (often an {@link javax.net.ssl.SSLHandshakeException} whose cause
     *     chain holds a {@link java.security.cert.CertificateException}), or null for a policy failure
     */
    public SmtpTlsException(String message, Throwable cause) {
        super(message, cause, null);
    }

    /**
     * @param message what failed
     * @param cause the TLS engine's error, or null
     * @param partialReport the verdicts of other parts of the same message, or null
     */
    public SmtpTlsException(String message, Throwable cause, SendReport partialReport) {
        super(message, cause, partialReport);
    }

    @Override
    public SmtpTlsException withPartialReport(SendReport partialReport) {
        return sameTrace(new SmtpTlsException(getMessage(), getCause(), partialReport));
    }

    @Override
    public boolean isRetryable() {
        return false;
    }
}
