package io.reactivesmtp.dkim;

/**
 * A private key that cannot be used for DKIM: unreadable, not a private key, encrypted, of a type DKIM does not
 * sign with, or too short. The message names the key's source (its file) and what is wrong, never key material.
 */
public final class DkimKeyException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the source
     * @param cause the underlying error, or null
     */
    public DkimKeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
