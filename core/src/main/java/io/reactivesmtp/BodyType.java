package io.reactivesmtp;

/**
 * Whether a message's bytes are all 7-bit ASCII, which decides the {@code BODY=8BITMIME} parameter
 * (RFC 6152). The client never claims 8BITMIME to a server that did not offer it.
 */
public enum BodyType {
    /** Only bytes below 128: any server takes it, no BODY parameter. */
    SEVEN_BIT,
    /**
     * Some bytes of 128 or more: {@code BODY=8BITMIME} where offered; to a server without 8BITMIME the send
     * fails before MAIL.
     */
    EIGHT_BIT,
    /**
     * Not known in advance (a file or a publisher nobody declared): {@code BODY=8BITMIME} where offered, since
     * it permits 8-bit without claiming it; elsewhere the content is sent as it is and the send is abandoned
     * (connection closed, no final dot) at the first byte of 128 or more.
     */
    UNKNOWN
}
