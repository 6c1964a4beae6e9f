package io.reactivesmtp.bounce;

import java.util.Locale;
import java.util.Objects;

/**
 * One recipient of a bounce: a per-recipient group of an RFC 3464 delivery status notification, or an address a
 * non-standard bounce names. Text fields are null when the report did not give them.
 *
 * <p>{@code Final-Recipient} and {@code Original-Recipient} are given without their address type (see
 * {@link #addressType()}); a {@code utf-8} address written in the ASCII form of RFC 6533 ({@code \x{HEX}}) is
 * decoded. An address the sender gave with ORCPT comes back here as {@link #originalRecipient()}, xtext-decoded by
 * the reporting MTA as RFC 3461 asks.
 *
 * @param address the failed (final) recipient, without angle brackets
 * @param addressType its address type, lower case: {@code rfc822}, {@code utf-8}, or another (an X.400 gateway's)
 * @param originalRecipient the ORCPT the message was sent with, or null
 * @param action what happened
 * @param status the RFC 3463 enhanced status code ({@code 5.1.1}), or null when none could be found
 * @param diagnosticCode the diagnostic as written ({@code smtp; 550 5.1.1 no such user}), unfolded, or null
 * @param remoteMta the MTA that gave the diagnostic (without its type), or null
 * @param lastAttemptDate {@code Last-Attempt-Date} as written, or null
 * @param willRetryUntil {@code Will-Retry-Until} as written, or null
 */
public record BounceRecipient(String address, String addressType, String originalRecipient, Action action,
        String status, String diagnosticCode, String remoteMta, String lastAttemptDate, String willRetryUntil) {

    /** The {@code Action} of RFC 3464 §2.3.3, or {@link #UNKNOWN} when it is missing and cannot be inferred. */
    public enum Action {
        /** The message could not be delivered and will not be retried. */
        FAILED,
        /** Not delivered yet, still being retried. */
        DELAYED,
        /** Delivered to the recipient's mailbox. */
        DELIVERED,
        /** Handed to a system that does not send DSNs. */
        RELAYED,
        /** Delivered and forwarded to more addresses. */
        EXPANDED,
        /** Missing or not one of the above, and no status to infer it from. */
        UNKNOWN;

        /**
         * @param text an {@code Action} value, any case, possibly followed by a comment
         * @return the action, or null when the text names none
         */
        static Action parse(String text) {
            if (text == null) {
                return null;
            }
            String word = text.strip().split("[\\s(;]", 2)[0].toLowerCase(Locale.ROOT);
            return switch (word) {
                case "failed", "failure" -> FAILED;
                case "delayed" -> DELAYED;
                case "delivered" -> DELIVERED;
                case "relayed" -> RELAYED;
                case "expanded" -> EXPANDED;
                default -> null;
            };
        }
    }

    /**
     * @param address the failed recipient
     * @param addressType its address type
     * @param originalRecipient the ORCPT, or null
     * @param action what happened
     * @param status the enhanced status code, or null
     * @param diagnosticCode the diagnostic, or null
     * @param remoteMta the remote MTA, or null
     * @param lastAttemptDate the last attempt's date, or null
     * @param willRetryUntil until when it is retried, or null
     */
    public BounceRecipient {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(addressType, "addressType");
        Objects.requireNonNull(action, "action");
    }

    /**
     * A hard bounce: the message failed for good ({@link Action#FAILED} with a {@code 5.x.x} status). Sending to
     * this address again harms the sender's reputation.
     *
     * @return whether this is a hard bounce
     */
    public boolean hardBounce() {
        return action == Action.FAILED && status != null && status.startsWith("5");
    }

    /**
     * A soft bounce: delayed, or failed with a {@code 4.x.x} status (a full mailbox at some providers, a timeout).
     *
     * @return whether this is a soft bounce
     */
    public boolean softBounce() {
        return action == Action.DELAYED || action == Action.FAILED && (status == null || status.startsWith("4"));
    }
}
