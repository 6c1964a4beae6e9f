package io.reactivesmtp.mime;

import io.reactivesmtp.MailAddress;

/**
 * A mailbox of a header field: an optional display name and an address.
 *
 * @param displayName the name shown, or null
 * @param address the validated address
 */
record Mailbox(String displayName, MailAddress address) {
}
