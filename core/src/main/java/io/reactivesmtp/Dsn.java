package io.reactivesmtp;

import io.reactivesmtp.internal.SafeText;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A request for delivery status notifications (RFC 3461): what a bounce should contain ({@code RET}), an
 * identifier to find the message again ({@code ENVID}), when to notify ({@code NOTIFY}, for every recipient),
 * and whether to pass the original recipient address along ({@code ORCPT}). Sent only to servers that
 * advertise DSN; other servers never see these parameters (the report's capabilities tell which happened).
 *
 * <pre>{@code
 * Envelope e = Envelope.builder().from("shop@example.com").to("alice@example.org")
 *     .dsn(Dsn.builder().ret(Dsn.Return.HEADERS).envelopeId("order-4711")
 *             .notify(Dsn.Notify.FAILURE, Dsn.Notify.DELAY).build())
 *     .build();
 * }</pre>
 */
public final class Dsn {

    /** What a notification returns of the message. */
    public enum Return {
        /** The whole message. */
        FULL,
        /** Only its headers. */
        HEADERS
    }

    /** When to notify. {@link #NEVER} excludes the others. */
    public enum Notify {
        /** On successful delivery. */
        SUCCESS,
        /** On failure. */
        FAILURE,
        /** When delivery is delayed. */
        DELAY,
        /** Never. */
        NEVER
    }

    private final Return ret;
    private final String envelopeId;
    private final Set<Notify> notify;
    private final boolean originalRecipients;

    private Dsn(Builder b) {
        this.ret = b.ret;
        this.envelopeId = b.envelopeId;
        this.notify = b.notify.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(b.notify));
        this.originalRecipients = b.originalRecipients;
    }

    /** @return a builder; every part is optional */
    public static Builder builder() {
        return new Builder();
    }

    /** @return {@code RET}, if requested */
    public Optional<Return> ret() {
        return Optional.ofNullable(ret);
    }

    /** @return {@code ENVID}, if given (sent xtext-encoded) */
    public Optional<String> envelopeId() {
        return Optional.ofNullable(envelopeId);
    }

    /** @return {@code NOTIFY} for every recipient; empty means the server's default */
    public Set<Notify> notifyOn() {
        return notify;
    }

    /** @return whether each recipient carries {@code ORCPT=rfc822;<address>} */
    public boolean originalRecipients() {
        return originalRecipients;
    }

    /**
     * Encodes a value as RFC 3461 xtext: printable ASCII except {@code +} and {@code =} as is, everything else
     * as {@code +XX}.
     *
     * @param value the text (UTF-8 bytes are encoded one by one)
     * @return the xtext
     */
    public static String xtext(String value) {
        StringBuilder sb = new StringBuilder();
        for (byte b : value.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= '!' && c <= '~' && c != '+' && c != '=') {
                sb.append((char) c);
            } else {
                sb.append('+').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Dsn)) {
            return false;
        }
        Dsn d = (Dsn) o;
        return ret == d.ret && Objects.equals(envelopeId, d.envelopeId) && notify.equals(d.notify)
                && originalRecipients == d.originalRecipients;
    }

    @Override
    public int hashCode() {
        return Objects.hash(ret, envelopeId, notify, originalRecipients);
    }

    @Override
    public String toString() {
        return "Dsn[ret=" + ret + ", envid=" + envelopeId + ", notify=" + notify + ", orcpt=" + originalRecipients + "]";
    }

    /** Builds a {@link Dsn}. */
    public static final class Builder {
        private Return ret;
        private String envelopeId;
        private final Set<Notify> notify = EnumSet.noneOf(Notify.class);
        private boolean originalRecipients;

        private Builder() {
        }

        /** @param ret what a notification returns @return this */
        public Builder ret(Return ret) {
            this.ret = ret;
            return this;
        }

        /**
         * @param id the envelope identifier, printable ASCII, at most 100 characters (RFC 3461 section 4.4)
         * @return this
         */
        public Builder envelopeId(String id) {
            if (id != null && (id.isEmpty() || id.length() > 100 || !id.chars().allMatch(c -> c >= ' ' && c <= '~'))) {
                throw new IllegalArgumentException("invalid DSN envelope id \"" + SafeText.escape(id)
                        + "\": expected 1 to 100 printable ASCII characters");
            }
            this.envelopeId = id;
            return this;
        }

        /**
         * @param on when to notify; {@link Notify#NEVER} alone or any of the others
         * @return this
         */
        public Builder notify(Notify... on) {
            Set<Notify> set = EnumSet.noneOf(Notify.class);
            for (Notify n : on) {
                set.add(Objects.requireNonNull(n, "notify"));
            }
            if (set.contains(Notify.NEVER) && set.size() > 1) {
                throw new IllegalArgumentException("DSN NOTIFY=NEVER cannot be combined with " + set);
            }
            notify.clear();
            notify.addAll(set);
            return this;
        }

        /** @param on whether each RCPT carries ORCPT with the recipient's address @return this */
        public Builder originalRecipients(boolean on) {
            this.originalRecipients = on;
            return this;
        }

        /** @return the request */
        public Dsn build() {
            return new Dsn(this);
        }
    }
}
