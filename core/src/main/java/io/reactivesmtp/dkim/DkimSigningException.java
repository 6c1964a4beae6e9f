package io.reactivesmtp.dkim;

/**
 * A message that cannot be signed as it is: no {@code From:} header, or a header block over the bound. When it
 * happens during a send, the send fails with an {@link io.reactivesmtp.SmtpContentException} before any byte of
 * the content was written.
 */
public final class DkimSigningException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the message (never its content) */
    public DkimSigningException(String message) {
        super(message);
    }
}
