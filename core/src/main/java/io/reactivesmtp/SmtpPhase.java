package io.reactivesmtp;

/** The phases of an SMTP session, each with its own timeout (RFC 5321 section 4.5.3.2). */
public enum SmtpPhase {
    /**
     * Opening the TCP connection, until the server's first byte: a connection the server's kernel completed
     * while the server never accepted it (its listen backlog full) stays silent and fails by this timeout.
     */
    CONNECT("connect"),
    /** Waiting for the rest of the 220 greeting, once its first byte came. */
    GREETING("greeting"),
    /** EHLO or HELO. */
    HELLO("EHLO/HELO"),
    /** STARTTLS, waiting for its 220. */
    STARTTLS("STARTTLS"),
    /** The TLS handshake, after STARTTLS or at connect for implicit TLS. */
    TLS_HANDSHAKE("TLS handshake"),
    /** Each round of the AUTH exchange. */
    AUTH("AUTH"),
    /** MAIL FROM. */
    MAIL("MAIL FROM"),
    /** RCPT TO. */
    RCPT("RCPT TO"),
    /** DATA, waiting for 354. */
    DATA_INITIATION("DATA"),
    /** Sending a block of the content. */
    DATA_BLOCK("data block"),
    /** Waiting for the reply to the final dot. */
    DATA_TERMINATION("reply to the final dot"),
    /** RSET, NOOP, QUIT and other short commands. */
    OTHER_COMMAND("command");

    private final String description;

    SmtpPhase(String description) {
        this.description = description;
    }

    /** @return a short human-readable name of the phase */
    public String description() {
        return description;
    }
}
