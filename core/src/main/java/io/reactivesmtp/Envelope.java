package io.reactivesmtp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who a message is from and who receives it at the SMTP level: the reverse path of {@code MAIL FROM} and the
 * list of {@code RCPT TO}. Immutable.
 *
 * <p>The envelope is deliberately separate from the content: the {@code To:}, {@code Cc:} and {@code Bcc:}
 * headers never decide who receives a message (that is how Bcc works).
 *
 * <pre>{@code
 * Envelope e = Envelope.builder()
 *         .from("news@example.com")
 *         .to("alice@example.org", "bob@example.net")
 *         .build();
 * e.reversePath();   // "<news@example.com>"
 *
 * Envelope bounce = Envelope.builder().nullSender().to("sender@example.com").build();
 * bounce.reversePath();   // "<>"
 *
 * Envelope quick = Envelope.of("a@example.com", "b@example.com");
 * }</pre>
 */
public final class Envelope {

    /** Null for the null reverse path {@code <>}. */
    private final MailAddress sender;
    private final List<MailAddress> recipients;
    private final Dsn dsn;
    private final boolean requireTls;

    private Envelope(MailAddress sender, List<MailAddress> recipients, Dsn dsn, boolean requireTls) {
        this.sender = sender;
        this.recipients = validRecipients(recipients);
        this.dsn = dsn;
        this.requireTls = requireTls;
    }

    /** @return the delivery status notification request (RFC 3461), if any */
    public Optional<Dsn> dsn() {
        return Optional.ofNullable(dsn);
    }

    /**
     * @return whether the message demands TLS all the way (RFC 8689 REQUIRETLS): the send fails before MAIL
     *     unless the session runs over TLS and the server offers REQUIRETLS
     */
    public boolean requireTls() {
        return requireTls;
    }

    /**
     * @return a new builder; {@link Builder#from(String)} or {@link Builder#nullSender()} and at least one
     *     {@code to(..)} must be called before {@link Builder#build()}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Shortcut for {@code builder().from(from).to(to).build()}.
     *
     * <pre>{@code
     * Envelope e = Envelope.of("news@example.com", "alice@example.org", "bob@example.net");
     * }</pre>
     *
     * @param from the sender's mailbox
     * @param to the recipients' mailboxes, at least one, no duplicates
     * @return the envelope
     * @throws IllegalArgumentException if an address is invalid or a recipient appears twice
     * @throws IllegalStateException if there is no recipient
     */
    public static Envelope of(String from, String... to) {
        return builder().from(from).to(to).build();
    }

    /**
     * @return the sender, or empty for the null reverse path {@code <>} (used for bounces)
     */
    public Optional<MailAddress> sender() {
        return Optional.ofNullable(sender);
    }

    /**
     * @return the reverse path as it goes after {@code MAIL FROM:}: {@code <a@b>} with the address as given,
     *     or {@code <>}
     */
    public String reversePath() {
        return sender == null ? "<>" : "<" + sender + ">";
    }

    /**
     * @return the recipients in the order given; unmodifiable, never empty, no duplicates
     */
    public List<MailAddress> recipients() {
        return recipients;
    }

    /**
     * @return true when the sender or any recipient has a non-ASCII local part, so the message can only go
     *     to a server that advertises SMTPUTF8
     */
    public boolean requiresSmtpUtf8() {
        if (sender != null && sender.requiresSmtpUtf8()) {
            return true;
        }
        for (MailAddress r : recipients) {
            if (r.requiresSmtpUtf8()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns a copy with the same sender and other recipients, e.g. to retry only the recipients that
     * failed transiently.
     *
     * @param newRecipients the recipients of the copy, at least one, no duplicates
     * @return the copy
     * @throws IllegalArgumentException if a recipient appears twice
     * @throws IllegalStateException if the list is empty
     * @throws NullPointerException if the list or an element is null
     */
    public Envelope withRecipients(List<MailAddress> newRecipients) {
        Objects.requireNonNull(newRecipients, "recipients");
        return new Envelope(sender, newRecipients, dsn, requireTls);
    }

    /**
     * Two envelopes are equal when they have equal senders (or both the null reverse path) and equal
     * recipients in the same order.
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Envelope)) {
            return false;
        }
        Envelope other = (Envelope) o;
        return Objects.equals(sender, other.sender) && recipients.equals(other.recipients)
                && Objects.equals(dsn, other.dsn) && requireTls == other.requireTls;
    }

    /** @return a hash consistent with {@link #equals(Object)} */
    @Override
    public int hashCode() {
        return Objects.hash(sender, recipients, dsn, requireTls);
    }

    /**
     * @return e.g. {@code Envelope[from=<a@example.com>, to=[b@example.com, c@example.com]]}
     */
    @Override
    public String toString() {
        return "Envelope[from=" + reversePath() + ", to=" + recipients + (dsn == null ? "" : ", " + dsn)
                + (requireTls ? ", REQUIRETLS" : "") + "]";
    }

    private static List<MailAddress> validRecipients(List<MailAddress> recipients) {
        if (recipients.isEmpty()) {
            throw new IllegalStateException("envelope has no recipients: call to(..)");
        }
        // One RCPT reply maps to one recipient in the report, so a recipient may appear only once.
        Set<MailAddress> seen = new HashSet<>();
        for (int i = 0; i < recipients.size(); i++) {
            MailAddress r = Objects.requireNonNull(recipients.get(i), "recipient " + i + " is null");
            if (!seen.add(r)) {
                throw new IllegalArgumentException("duplicate recipient " + MailAddress.show(r.toString())
                        + ": each recipient may appear only once in an envelope");
            }
        }
        return List.copyOf(recipients);
    }

    /**
     * Builds an {@link Envelope}. Not thread-safe; {@link #build()} may be called more than once.
     *
     * <pre>{@code
     * Envelope e = Envelope.builder().from("a@example.com").to("b@example.com").build();
     * }</pre>
     */
    public static final class Builder {

        private MailAddress sender;
        private boolean senderSet;
        private final List<MailAddress> recipients = new ArrayList<>();
        private Dsn dsn;
        private boolean requireTls;

        /**
         * @param dsn the delivery status notifications to request (sent only where DSN is offered), or null
         * @return this builder
         */
        public Builder dsn(Dsn dsn) {
            this.dsn = dsn;
            return this;
        }

        /**
         * @param required true to demand REQUIRETLS (RFC 8689): the send then fails before MAIL unless the session
         *     runs over TLS and the server offers REQUIRETLS
         * @return this builder
         */
        public Builder requireTls(boolean required) {
            this.requireTls = required;
            return this;
        }

        private Builder() {
        }

        /**
         * Sets the sender; replaces an earlier {@code from(..)} or {@link #nullSender()}.
         *
         * @param from the sender's mailbox, parsed with {@link MailAddress#of(String)}
         * @return this builder
         * @throws IllegalArgumentException if the address is invalid
         */
        public Builder from(String from) {
            return from(MailAddress.of(from));
        }

        /**
         * Sets the sender; replaces an earlier {@code from(..)} or {@link #nullSender()}.
         *
         * @param from the sender
         * @return this builder
         * @throws NullPointerException if {@code from} is null (use {@link #nullSender()} for {@code <>})
         */
        public Builder from(MailAddress from) {
            this.sender = Objects.requireNonNull(from, "from is null: use nullSender() for the null reverse path");
            this.senderSet = true;
            return this;
        }

        /**
         * Uses the null reverse path {@code <>}, as for bounces and other notifications that must not
         * themselves be bounced (RFC 5321 section 4.5.5); replaces an earlier {@code from(..)}.
         *
         * @return this builder
         */
        public Builder nullSender() {
            this.sender = null;
            this.senderSet = true;
            return this;
        }

        /**
         * Adds recipients, parsed with {@link MailAddress#of(String)}, after those already added.
         *
         * @param to the recipients' mailboxes
         * @return this builder
         * @throws IllegalArgumentException if an address is invalid
         */
        public Builder to(String... to) {
            Objects.requireNonNull(to, "to");
            // Parse them all first so a bad address leaves the builder unchanged.
            List<MailAddress> parsed = new ArrayList<>(to.length);
            for (String address : to) {
                parsed.add(MailAddress.of(address));
            }
            recipients.addAll(parsed);
            return this;
        }

        /**
         * Adds recipients after those already added.
         *
         * @param to the recipients
         * @return this builder
         * @throws NullPointerException if the array or an element is null
         */
        public Builder to(MailAddress... to) {
            return to(List.of(Objects.requireNonNull(to, "to")));
        }

        /**
         * Adds recipients, in the collection's iteration order, after those already added.
         *
         * @param to the recipients
         * @return this builder
         * @throws NullPointerException if the collection or an element is null
         */
        public Builder to(Collection<MailAddress> to) {
            // Copy first so the checked elements are the ones added, and a null leaves the builder unchanged.
            List<MailAddress> copy = new ArrayList<>(Objects.requireNonNull(to, "to"));
            for (MailAddress r : copy) {
                Objects.requireNonNull(r, "recipient is null");
            }
            recipients.addAll(copy);
            return this;
        }

        /**
         * @return the envelope
         * @throws IllegalStateException if neither {@code from(..)} nor {@link #nullSender()} was called, or
         *     no recipient was added
         * @throws IllegalArgumentException if a recipient was added twice
         */
        public Envelope build() {
            if (!senderSet) {
                throw new IllegalStateException("envelope has no sender: call from(..) or nullSender()");
            }
            return new Envelope(sender, recipients, dsn, requireTls);
        }
    }
}
