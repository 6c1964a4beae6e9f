package io.reactivesmtp.bounce;

import java.io.IOException;
import java.util.Objects;

/**
 * The one failure of {@link BounceParser#parse}: the message could not be read within the parser's bounds, or its
 * stream failed. A message that is merely malformed is read as far as it can be, with notes in
 * {@link BounceReport#notes()}: this exception means nothing useful could be had from it.
 */
public final class BounceParseException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Why the message could not be read. */
    public enum Reason {
        /** The message is larger than {@link BounceParser.Builder#maxMessageBytes}. */
        TOO_LARGE,
        /** A structural bound was exceeded: header fields, line length, MIME parts or nesting. */
        LIMIT_EXCEEDED,
        /** The MIME structure is broken beyond what the parser tolerates. */
        MALFORMED,
        /** The input stream failed (the cause says how). */
        READ_ERROR
    }

    private final Reason reason;

    /**
     * @param reason why
     * @param message what, for people
     * @param cause the underlying failure, or null
     */
    public BounceParseException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return why the message could not be read */
    public Reason reason() {
        return reason;
    }
}
