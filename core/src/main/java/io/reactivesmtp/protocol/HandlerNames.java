package io.reactivesmtp.protocol;

/**
 * The names of the handlers in the pipeline of one SMTP connection, in pipeline order (head first):
 * {@link #TLS} (only after STARTTLS or for implicit TLS), {@link #CODEC}, {@link #SESSION}.
 */
public final class HandlerNames {

    /** The {@code SslHandler}, added first in the pipeline. */
    public static final String TLS = "smtp-tls";
    /** The {@link SmtpClientCodec}. */
    public static final String CODEC = "smtp-codec";
    /** The session handler ({@code SmtpSessionHandler}), the state machine. */
    public static final String SESSION = "smtp-session";

    private HandlerNames() {
    }
}
