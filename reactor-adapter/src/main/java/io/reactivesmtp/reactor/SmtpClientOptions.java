package io.reactivesmtp.reactor;

import io.reactivesmtp.SmtpSessionOptions;
import java.util.Objects;

/**
 * Where an {@link SmtpClient} sends and how its sessions behave. Immutable; build with {@link #builder()},
 * change with {@link #mutate()}.
 *
 * <pre>{@code
 * SmtpClientOptions options = SmtpClientOptions.builder()
 *     .relay("smtp.example.com", 587)
 *     .session(SmtpSessionOptions.builder().heloName("app.example.com").build())
 *     .build();
 * }</pre>
 */
public final class SmtpClientOptions {

    /** The default SMTP port for relaying (RFC 5321); submission is 587 (RFC 6409). */
    public static final int DEFAULT_PORT = 25;

    private final String host;
    private final int port;
    private final SmtpSessionOptions session;

    private SmtpClientOptions(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.session = b.session;
    }

    /** @return a builder; {@link Builder#relay(String, int)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these options */
    public Builder mutate() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.session = session;
        return b;
    }

    /** @return the relay server's host name or address */
    public String host() {
        return host;
    }

    /** @return the relay server's port */
    public int port() {
        return port;
    }

    /** @return how each session behaves */
    public SmtpSessionOptions session() {
        return session;
    }

    @Override
    public String toString() {
        return "SmtpClientOptions{relay " + host + ":" + port + "}";
    }

    /** Builds {@link SmtpClientOptions}, validating each input. */
    public static final class Builder {
        private String host;
        private int port = DEFAULT_PORT;
        private SmtpSessionOptions session = SmtpSessionOptions.DEFAULT;

        private Builder() {
        }

        /**
         * @param host the relay server's host name or address
         * @param port its port, 1 to 65535
         * @return this
         */
        public Builder relay(String host, int port) {
            if (host == null || host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                throw new IllegalArgumentException("invalid relay host \"" + host + "\"");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("invalid relay port " + port + " for host " + host + ": expected 1-65535");
            }
            this.host = host;
            this.port = port;
            return this;
        }

        /** @param session how each session behaves @return this */
        public Builder session(SmtpSessionOptions session) {
            this.session = Objects.requireNonNull(session, "session");
            return this;
        }

        /** @return the options @throws IllegalStateException if no relay was set */
        public SmtpClientOptions build() {
            if (host == null) {
                throw new IllegalStateException("no relay server: call relay(host, port)");
            }
            return new SmtpClientOptions(this);
        }
    }
}
