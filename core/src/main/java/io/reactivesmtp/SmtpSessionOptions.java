package io.reactivesmtp;

import io.reactivesmtp.protocol.SmtpReplyDecoder;
import io.reactivesmtp.internal.SafeText;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How one SMTP session behaves: the name it gives in EHLO, per-phase timeouts, whether it pipelines, and
 * the limits on what it accepts from the server. Immutable; build with {@link #builder()}, change with
 * {@link #mutate()}.
 *
 * <pre>{@code
 * SmtpSessionOptions options = SmtpSessionOptions.builder()
 *     .heloName("mailer.example.com")
 *     .timeout(SmtpPhase.DATA_TERMINATION, Duration.ofMinutes(5))
 *     .build();
 * }</pre>
 */
public final class SmtpSessionOptions {

    /** RFC 5321 section 4.5.3.2 minimums, plus a connect timeout of our own. */
    private static final Map<SmtpPhase, Duration> DEFAULT_TIMEOUTS = new EnumMap<>(SmtpPhase.class);

    static {
        DEFAULT_TIMEOUTS.put(SmtpPhase.CONNECT, Duration.ofSeconds(30));
        DEFAULT_TIMEOUTS.put(SmtpPhase.GREETING, Duration.ofMinutes(5));
        DEFAULT_TIMEOUTS.put(SmtpPhase.HELLO, Duration.ofMinutes(5));
        DEFAULT_TIMEOUTS.put(SmtpPhase.STARTTLS, Duration.ofMinutes(2));
        DEFAULT_TIMEOUTS.put(SmtpPhase.TLS_HANDSHAKE, Duration.ofMinutes(1));
        DEFAULT_TIMEOUTS.put(SmtpPhase.AUTH, Duration.ofMinutes(2));
        DEFAULT_TIMEOUTS.put(SmtpPhase.MAIL, Duration.ofMinutes(5));
        DEFAULT_TIMEOUTS.put(SmtpPhase.RCPT, Duration.ofMinutes(5));
        DEFAULT_TIMEOUTS.put(SmtpPhase.DATA_INITIATION, Duration.ofMinutes(2));
        DEFAULT_TIMEOUTS.put(SmtpPhase.DATA_BLOCK, Duration.ofMinutes(3));
        DEFAULT_TIMEOUTS.put(SmtpPhase.DATA_TERMINATION, Duration.ofMinutes(10));
        DEFAULT_TIMEOUTS.put(SmtpPhase.OTHER_COMMAND, Duration.ofMinutes(5));
    }

    /**
     * The default options: TLS {@link TlsPolicy#REQUIRED REQUIRED} with certificates verified against the JDK's
     * trust store, no AUTH, address-literal HELO name, RFC 5321 timeouts, pipelining when offered.
     */
    public static final SmtpSessionOptions DEFAULT = builder().build();

    // A domain name or an address literal; nothing that could smuggle a second command.
    private static final Pattern HELO_NAME = Pattern.compile(
            "([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?"
                    + "|\\[[A-Za-z0-9.:-]{1,60}\\]");

    private final String heloName;
    private final Map<SmtpPhase, Duration> timeouts;
    private final boolean pipelining;
    private final int maxReplyLineLength;
    private final int maxReplyLines;
    private final TlsOptions tls;
    private final Credentials credentials;
    private final boolean allowAuthWithoutTls;
    private final boolean chunking;
    private final int bdatChunkSize;

    /** The default largest BDAT chunk: 1 MiB. */
    public static final int DEFAULT_BDAT_CHUNK_SIZE = 1024 * 1024;

    private SmtpSessionOptions(Builder b) {
        this.chunking = b.chunking;
        this.bdatChunkSize = b.bdatChunkSize;
        this.tls = b.tls;
        this.credentials = b.credentials;
        this.allowAuthWithoutTls = b.allowAuthWithoutTls;
        this.heloName = b.heloName;
        this.timeouts = new EnumMap<>(b.timeouts);
        this.pipelining = b.pipelining;
        this.maxReplyLineLength = b.maxReplyLineLength;
        this.maxReplyLines = b.maxReplyLines;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these options */
    public Builder mutate() {
        Builder b = new Builder();
        b.heloName = heloName;
        b.timeouts.putAll(timeouts);
        b.pipelining = pipelining;
        b.maxReplyLineLength = maxReplyLineLength;
        b.maxReplyLines = maxReplyLines;
        b.tls = tls;
        b.credentials = credentials;
        b.allowAuthWithoutTls = allowAuthWithoutTls;
        b.chunking = chunking;
        b.bdatChunkSize = bdatChunkSize;
        return b;
    }

    /** @return whether BDAT (RFC 3030 CHUNKING) replaces DATA where the server offers it */
    public boolean chunking() {
        return chunking;
    }

    /** @return the largest BDAT chunk in bytes */
    public int bdatChunkSize() {
        return bdatChunkSize;
    }

    /** @return how the session uses TLS */
    public TlsOptions tls() {
        return tls;
    }

    /** @return the AUTH credentials, if the session authenticates */
    public Optional<Credentials> credentials() {
        return Optional.ofNullable(credentials);
    }

    /** @return whether AUTH may be sent over a connection without TLS (never, unless explicitly allowed) */
    public boolean allowAuthWithoutTls() {
        return allowAuthWithoutTls;
    }

    /**
     * @return the name sent in EHLO/HELO; empty means the local address as an address literal
     *     (such as {@code [127.0.0.1]}), which needs no DNS lookup
     */
    public Optional<String> heloName() {
        return Optional.ofNullable(heloName);
    }

    /**
     * @param phase a phase of the session
     * @return how long the client waits in that phase
     */
    public Duration timeout(SmtpPhase phase) {
        return timeouts.get(phase);
    }

    /** @return whether the client pipelines (RFC 2920) when the server offers PIPELINING */
    public boolean pipelining() {
        return pipelining;
    }

    /** @return the longest reply line accepted, in bytes with CRLF */
    public int maxReplyLineLength() {
        return maxReplyLineLength;
    }

    /** @return the most lines accepted in one reply */
    public int maxReplyLines() {
        return maxReplyLines;
    }

    /** Builds {@link SmtpSessionOptions}; every setter validates its input. */
    public static final class Builder {
        private String heloName;
        private final Map<SmtpPhase, Duration> timeouts = new EnumMap<>(DEFAULT_TIMEOUTS);
        private boolean pipelining = true;
        private int maxReplyLineLength = SmtpReplyDecoder.DEFAULT_MAX_LINE_LENGTH;
        private int maxReplyLines = SmtpReplyDecoder.DEFAULT_MAX_LINES;
        private TlsOptions tls = TlsOptions.DEFAULT;
        private Credentials credentials;
        private boolean allowAuthWithoutTls;
        private boolean chunking = true;
        private int bdatChunkSize = DEFAULT_BDAT_CHUNK_SIZE;

        private Builder() {
        }

        /**
         * @param useWhenOffered true (the default) to send content with BDAT where the server offers CHUNKING: no
         *     dot-stuffing, exact byte counts; false to always use DATA
         * @return this
         */
        public Builder chunking(boolean useWhenOffered) {
            this.chunking = useWhenOffered;
            return this;
        }

        /** @param bytes the largest BDAT chunk, 1 KiB to 64 MiB @return this */
        public Builder bdatChunkSize(int bytes) {
            if (bytes < 1024 || bytes > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("bdatChunkSize must be 1 KiB to 64 MiB: " + bytes);
            }
            this.bdatChunkSize = bytes;
            return this;
        }

        /** @param tls the TLS policy, trust and provider @return this */
        public Builder tls(TlsOptions tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** @param policy the TLS policy, with the default trust (JDK trust store) @return this */
        public Builder tls(TlsPolicy policy) {
            this.tls = TlsOptions.DEFAULT.mutate().policy(policy).build();
            return this;
        }

        /** @param credentials authenticate with these after EHLO (and TLS), or null for no AUTH @return this */
        public Builder credentials(Credentials credentials) {
            this.credentials = credentials;
            return this;
        }

        /**
         * @param allow true to let AUTH go over a connection without TLS, where anyone on the path can read the
         *     credentials; false (the default) fails the session instead
         * @return this
         */
        public Builder allowAuthWithoutTls(boolean allow) {
            this.allowAuthWithoutTls = allow;
            return this;
        }

        /**
         * @param name a domain name or address literal to send in EHLO/HELO, or null for the local address
         * @return this
         * @throws IllegalArgumentException if it is not a domain name or address literal
         */
        public Builder heloName(String name) {
            if (name != null && !HELO_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid HELO name \"" + SafeText.escape(name)
                        + "\": expected a domain name or an address literal such as [192.0.2.1]");
            }
            this.heloName = name;
            return this;
        }

        /**
         * @param phase a phase
         * @param timeout how long to wait in it, positive
         * @return this
         */
        public Builder timeout(SmtpPhase phase, Duration timeout) {
            Objects.requireNonNull(phase, "phase");
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout for " + phase + " must be positive: " + timeout);
            }
            timeouts.put(phase, timeout);
            return this;
        }

        /**
         * @param timeout the same timeout for every phase (what a command line's {@code --timeout-seconds} wants)
         * @return this
         */
        public Builder allTimeouts(Duration timeout) {
            for (SmtpPhase phase : SmtpPhase.values()) {
                timeout(phase, timeout);
            }
            return this;
        }

        /** @param pipelining false to run lock-step even when the server offers PIPELINING @return this */
        public Builder pipelining(boolean pipelining) {
            this.pipelining = pipelining;
            return this;
        }

        /** @param bytes the longest reply line accepted, at least 512 (RFC 5321 section 4.5.3.1.5) @return this */
        public Builder maxReplyLineLength(int bytes) {
            if (bytes < 512) {
                throw new IllegalArgumentException("maxReplyLineLength must be at least 512: " + bytes);
            }
            this.maxReplyLineLength = bytes;
            return this;
        }

        /** @param lines the most lines accepted in one reply, at least 1 @return this */
        public Builder maxReplyLines(int lines) {
            if (lines < 1) {
                throw new IllegalArgumentException("maxReplyLines must be at least 1: " + lines);
            }
            this.maxReplyLines = lines;
            return this;
        }

        /** @return the options */
        public SmtpSessionOptions build() {
            return new SmtpSessionOptions(this);
        }
    }
}
