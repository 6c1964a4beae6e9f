package io.reactivesmtp;

import java.util.Objects;
import java.util.Optional;

/**
 * What happened to one recipient of a message: the server's reply that decided its fate, and whether that
 * means accepted, failed for now, or failed for good.
 *
 * <p>The deciding reply is the RCPT reply when the server refused the recipient there; the reply to MAIL when
 * the whole transaction was refused before any RCPT; otherwise the reply to the message data (a recipient
 * accepted at RCPT is only {@link Status#ACCEPTED accepted} once the server accepted the data).
 */
public final class RecipientResult {

    /** The fate of one recipient. */
    public enum Status {
        /** The server accepted responsibility for delivery to this recipient. */
        ACCEPTED,
        /** A 4xx (or a 421 mid-transaction): sending to this recipient again later may succeed. */
        TRANSIENT_FAILURE,
        /** A 5xx: the server will not accept this recipient or this message for it. */
        PERMANENT_FAILURE,
        /**
         * No verdict: the transaction broke off before the server decided and before the message data was
         * complete (only seen in the partial report of an {@link SmtpException}). Nothing can have been delivered
         * to this recipient: sending again is safe. Never counts as delivered.
         */
        UNDETERMINED,
        /**
         * Unknown outcome: the server accepted this recipient at RCPT, the final dot (or BDAT LAST) went out, and
         * no reply to it came (connection lost, timeout, protocol violation). The server may have taken the
         * message: sending again could deliver it twice, so it is not {@linkplain #isRetryable() retryable}.
         * Never counts as delivered.
         */
        UNKNOWN_AFTER_DATA
    }

    private final MailAddress address;
    private final Status status;
    private final SmtpReply reply;
    private final SmtpReply rcptReply;

    private RecipientResult(MailAddress address, Status status, SmtpReply reply, SmtpReply rcptReply) {
        this.address = Objects.requireNonNull(address, "address");
        this.status = Objects.requireNonNull(status, "status");
        this.reply = reply;
        this.rcptReply = rcptReply;
    }

    /**
     * @param address the recipient
     * @param reply the reply that decided its fate
     * @param rcptReply the reply to its RCPT command, or null when RCPT was not answered
     * @return the result, with a status derived from {@code reply}'s code
     */
    public static RecipientResult decided(MailAddress address, SmtpReply reply, SmtpReply rcptReply) {
        Objects.requireNonNull(reply, "reply");
        Status status = reply.isPositive() ? Status.ACCEPTED
                : reply.isTransientFailure() ? Status.TRANSIENT_FAILURE
                : reply.isPermanentFailure() ? Status.PERMANENT_FAILURE
                : Status.UNDETERMINED;
        return new RecipientResult(address, status, reply, rcptReply);
    }

    /**
     * @param address the recipient
     * @param rcptReply the reply to its RCPT command, or null when none came
     * @return a result without a verdict
     */
    public static RecipientResult undetermined(MailAddress address, SmtpReply rcptReply) {
        return new RecipientResult(address, Status.UNDETERMINED, rcptReply, rcptReply);
    }

    /**
     * A fate no reply of this recipient's server decided: an unknown outcome after the data, or a failure without
     * a verdict that the caller classified (a transient connection failure, a domain that accepts no mail).
     *
     * @param address the recipient
     * @param status its fate
     * @param rcptReply the reply to its RCPT command, or null when none came
     * @return the result; its {@link #reply()} is empty and its {@link #code()} 0
     * @throws IllegalArgumentException if {@code status} is ACCEPTED: only a server's reply accepts a recipient
     */
    public static RecipientResult withoutReply(MailAddress address, Status status, SmtpReply rcptReply) {
        if (Objects.requireNonNull(status, "status") == Status.ACCEPTED) {
            throw new IllegalArgumentException("a recipient is accepted only by a reply, not without one: " + address);
        }
        return new RecipientResult(address, status, null, rcptReply);
    }

    /** @return the recipient */
    public MailAddress address() {
        return address;
    }

    /** @return its fate */
    public Status status() {
        return status;
    }

    /** @return true when the server accepted responsibility for this recipient */
    public boolean isAccepted() {
        return status == Status.ACCEPTED;
    }

    /**
     * @return true when a later attempt to this recipient may succeed and cannot deliver twice (a 4xx, or no
     *     verdict before the data was complete); false for {@link Status#UNKNOWN_AFTER_DATA}
     */
    public boolean isRetryable() {
        return status == Status.TRANSIENT_FAILURE || status == Status.UNDETERMINED;
    }

    /**
     * @return the reply that decided its fate (for an undetermined recipient: its RCPT reply, if any; empty for a
     *     result {@linkplain #withoutReply made without a reply})
     */
    public Optional<SmtpReply> reply() {
        return Optional.ofNullable(reply);
    }

    /** @return the reply to its RCPT command, if one came */
    public Optional<SmtpReply> rcptReply() {
        return Optional.ofNullable(rcptReply);
    }

    /** @return the code of the deciding reply, or 0 when there is none */
    public int code() {
        return reply == null ? 0 : reply.code();
    }

    /** @return the enhanced status code of the deciding reply, if it had one */
    public Optional<String> enhancedStatus() {
        return reply == null ? Optional.empty() : reply.enhancedStatus();
    }

    /** @return the text of the deciding reply, or an empty string */
    public String text() {
        return reply == null ? "" : reply.text();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RecipientResult)) {
            return false;
        }
        RecipientResult r = (RecipientResult) o;
        return address.equals(r.address) && status == r.status && Objects.equals(reply, r.reply)
                && Objects.equals(rcptReply, r.rcptReply);
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, status, reply);
    }

    @Override
    public String toString() {
        return address + " " + status + (reply == null ? "" : " (" + reply + ")");
    }
}
