package io.reactivesmtp.kafka;

/**
 * A job record that cannot be sent: malformed JSON, an unknown format version, a missing or wrong field, an invalid
 * address. The worker reports it with outcome {@code INVALID} (the message says what is wrong and where) and moves
 * on: a poison record never blocks its partition.
 */
public final class InvalidJobException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the record, naming the field */
    public InvalidJobException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong with the record, naming the field
     * @param cause the parser's or validator's exception
     */
    public InvalidJobException(String message, Throwable cause) {
        super(message, cause);
    }
}
