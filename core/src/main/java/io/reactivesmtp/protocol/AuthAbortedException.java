package io.reactivesmtp.protocol;

/**
 * A SASL exchange cannot go on: the server's 334 challenge is not valid base64, makes no sense for the
 * mechanism, or comes after the mechanism has nothing left to say. The session answers it with {@code *}
 * (RFC 4954 section 4) and fails the authentication.
 *
 * <p>The message names the mechanism and the fault, never a secret nor the challenge text (a hostile
 * server could echo the client's own response back in it).
 */
public final class AuthAbortedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was wrong with the challenge; must not contain a secret
     */
    public AuthAbortedException(String message) {
        super(message);
    }
}
