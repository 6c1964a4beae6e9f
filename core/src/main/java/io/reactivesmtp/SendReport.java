package io.reactivesmtp;

import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the server said about one message, recipient by recipient. A 4xx or 5xx is data here, not an
 * exception: check {@link #outcome()} or each {@link RecipientResult}.
 *
 * <pre>{@code
 * SendReport report = ...;
 * for (RecipientResult r : report.recipients()) {
 *     System.out.println(r.address() + " " + r.status() + " " + r.code() + " " + r.text());
 * }
 * List<MailAddress> retryLater = report.retryableRecipients();
 * }</pre>
 */
public final class SendReport {

    /** The overall outcome of a message. */
    public enum Outcome {
        /** Every recipient was accepted. */
        DELIVERED,
        /** Some recipients were accepted, some were not. */
        PARTIAL,
        /** No recipient was accepted. */
        REJECTED,
        /**
         * Some recipient has no verdict: the transaction broke off before one ({@link RecipientResult.Status#UNDETERMINED}),
         * or the data went out and its reply never came ({@link RecipientResult.Status#UNKNOWN_AFTER_DATA}). Only
         * in partial reports and in reports merged from several attempts or domains.
         */
        UNKNOWN
    }

    private final Envelope envelope;
    private final List<RecipientResult> recipients;
    private final SmtpReply mailReply;
    private final SmtpReply dataReply;
    private final SocketAddress serverAddress;
    private final Capabilities capabilities;
    private final TlsInfo tls;
    private final Map<String, MxTlsStatus> mxTls;
    private final Instant startedAt;
    private final Duration duration;

    private SendReport(Builder b) {
        this.envelope = Objects.requireNonNull(b.envelope, "envelope");
        this.recipients = List.copyOf(b.recipients);
        this.mailReply = b.mailReply;
        this.dataReply = b.dataReply;
        this.serverAddress = b.serverAddress;
        this.capabilities = b.capabilities;
        this.tls = b.tls;
        // Only MX routing records TLS levels: no map per report for a relay's.
        this.mxTls = b.mxTls == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.mxTls));
        this.startedAt = Objects.requireNonNull(b.startedAt, "startedAt");
        this.duration = Objects.requireNonNull(b.duration, "duration");
        if (recipients.size() != envelope.recipients().size()) {
            throw new IllegalArgumentException("one result per envelope recipient is required: "
                    + recipients.size() + " results for " + envelope.recipients().size() + " recipients");
        }
    }

    /** @return a builder, used by the protocol engine */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the envelope this report is about */
    public Envelope envelope() {
        return envelope;
    }

    /** @return one result per envelope recipient, in envelope order */
    public List<RecipientResult> recipients() {
        return recipients;
    }

    /**
     * @param address a recipient of the envelope
     * @return its result
     * @throws IllegalArgumentException if it is not a recipient of this envelope
     */
    public RecipientResult recipient(MailAddress address) {
        for (RecipientResult r : recipients) {
            if (r.address().equals(address)) {
                return r;
            }
        }
        throw new IllegalArgumentException(address + " is not a recipient of this message");
    }

    /** @return the recipients the server accepted */
    public List<MailAddress> acceptedRecipients() {
        return select(true);
    }

    /**
     * @return the recipients a later attempt may still reach without delivering twice: transient failures and
     *     undetermined ones, not those whose outcome is unknown after the data
     */
    public List<MailAddress> retryableRecipients() {
        return select(false);
    }

    private List<MailAddress> select(boolean accepted) {
        List<MailAddress> out = new ArrayList<>();
        for (RecipientResult r : recipients) {
            if (accepted ? r.isAccepted() : r.isRetryable()) {
                out.add(r.address());
            }
        }
        return out;
    }

    /** @return DELIVERED, PARTIAL, REJECTED, or UNKNOWN when some recipient has no verdict */
    public Outcome outcome() {
        int accepted = 0;
        for (RecipientResult r : recipients) {
            if (r.status() == RecipientResult.Status.UNDETERMINED
                    || r.status() == RecipientResult.Status.UNKNOWN_AFTER_DATA) {
                return Outcome.UNKNOWN;
            }
            if (r.isAccepted()) {
                accepted++;
            }
        }
        return accepted == recipients.size() ? Outcome.DELIVERED : accepted == 0 ? Outcome.REJECTED : Outcome.PARTIAL;
    }

    /** @return the reply to MAIL FROM, if one came */
    public Optional<SmtpReply> mailReply() {
        return Optional.ofNullable(mailReply);
    }

    /** @return the reply to the message data (after the final dot), if the data was sent and answered */
    public Optional<SmtpReply> dataReply() {
        return Optional.ofNullable(dataReply);
    }

    /** @return the address of the server that answered, if known */
    public Optional<SocketAddress> serverAddress() {
        return Optional.ofNullable(serverAddress);
    }

    /** @return what the server advertised in the session that carried this message, if known */
    public Optional<Capabilities> capabilities() {
        return Optional.ofNullable(capabilities);
    }

    /** @return the TLS protocol and cipher the message went over, or empty when it went in plaintext */
    public Optional<TlsInfo> tls() {
        return Optional.ofNullable(tls);
    }

    /**
     * @return in MX routing, per recipient domain (lower case), the TLS level its delivery reached and what set
     *     it; empty for relays
     */
    public Map<String, MxTlsStatus> mxTls() {
        return mxTls;
    }

    /**
     * @param status a recipient domain's TLS level
     * @return a copy of this report with it recorded (replacing that domain's)
     */
    public SendReport withMxTls(MxTlsStatus status) {
        Builder b = builder().envelope(envelope).mailReply(mailReply).dataReply(dataReply).serverAddress(serverAddress)
                .capabilities(capabilities).tls(tls).startedAt(startedAt).duration(duration);
        recipients.forEach(b::recipient);
        if (!mxTls.isEmpty()) {
            b.mxTls = new LinkedHashMap<>(mxTls);
        }
        return b.mxTls(status).build();
    }

    /** @return when the transaction started (MAIL FROM written) */
    public Instant startedAt() {
        return startedAt;
    }

    /** @return how long the transaction took, from MAIL FROM to its final reply or failure */
    public Duration duration() {
        return duration;
    }

    @Override
    public String toString() {
        return "SendReport{" + outcome() + ", " + recipients + (dataReply == null ? "" : ", data " + dataReply)
                + (serverAddress == null ? "" : ", server " + serverAddress)
                + (tls == null ? ", plaintext" : ", " + tls.protocol()) + ", " + duration.toMillis() + " ms}";
    }

    /** Builds a {@link SendReport}; used by the protocol engine and by tests. */
    public static final class Builder {
        private Envelope envelope;
        /** Empty, not of the default capacity: {@link #envelope} sizes it to the recipients. */
        private final ArrayList<RecipientResult> recipients = new ArrayList<>(0);
        private SmtpReply mailReply;
        private SmtpReply dataReply;
        private SocketAddress serverAddress;
        private Capabilities capabilities;
        private TlsInfo tls;
        /** Made by the first {@link #mxTls(MxTlsStatus)}: relays never record one. */
        private Map<String, MxTlsStatus> mxTls;
        private Instant startedAt = Instant.now();
        private Duration duration = Duration.ZERO;

        private Builder() {
        }

        /** @param envelope the envelope @return this */
        public Builder envelope(Envelope envelope) {
            this.envelope = envelope;
            if (envelope != null) {
                recipients.ensureCapacity(envelope.recipients().size()); // one result per recipient follows
            }
            return this;
        }

        /** @param result the next recipient's result, in envelope order @return this */
        public Builder recipient(RecipientResult result) {
            recipients.add(result);
            return this;
        }

        /** @param reply the reply to MAIL, or null @return this */
        public Builder mailReply(SmtpReply reply) {
            this.mailReply = reply;
            return this;
        }

        /** @param reply the reply to the data, or null @return this */
        public Builder dataReply(SmtpReply reply) {
            this.dataReply = reply;
            return this;
        }

        /** @param address the server's address, or null @return this */
        public Builder serverAddress(SocketAddress address) {
            this.serverAddress = address;
            return this;
        }

        /** @param capabilities the session's capabilities, or null @return this */
        public Builder capabilities(Capabilities capabilities) {
            this.capabilities = capabilities;
            return this;
        }

        /** @param tls the session's TLS, or null for plaintext @return this */
        public Builder tls(TlsInfo tls) {
            this.tls = tls;
            return this;
        }

        /** @param status a recipient domain's TLS level in MX routing (replaces that domain's) @return this */
        public Builder mxTls(MxTlsStatus status) {
            if (mxTls == null) {
                mxTls = new LinkedHashMap<>();
            }
            mxTls.put(status.domain(), status);
            return this;
        }

        /** @param startedAt when the transaction started @return this */
        public Builder startedAt(Instant startedAt) {
            this.startedAt = startedAt;
            return this;
        }

        /** @param duration how long it took @return this */
        public Builder duration(Duration duration) {
            this.duration = duration;
            return this;
        }

        /** @return the report @throws IllegalArgumentException if the results do not match the envelope */
        public SendReport build() {
            return new SendReport(this);
        }
    }
}
