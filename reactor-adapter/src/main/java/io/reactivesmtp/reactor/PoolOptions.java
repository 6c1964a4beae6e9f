package io.reactivesmtp.reactor;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link SmtpClient} pools its sessions: one pool of ready sessions per destination (host, port, TLS
 * options, credentials identity, local address), all of them under one connection budget. Immutable; build with
 * {@link #builder()}, change with {@link #mutate()}.
 *
 * <p>The connection budget bounds the connections open at once over all destinations, idle ones included: by
 * default the client's {@link SmtpClientOptions#maxInFlight() in-flight limit} plus {@link #idleAllowance()}, or
 * {@link Builder#maxConnections(int)}. When a new destination needs a connection and the budget is spent, the
 * least recently used idle connection (of any destination) is closed with QUIT and the new one opens; when none is
 * idle, the new connection waits for one to close, at most {@link #pendingAcquireTimeout()}. A connection in use is
 * never closed for it. So MX delivery to thousands of domains holds about as many connections as messages in
 * flight, not one idle connection per domain, and a server that limits concurrent sessions is not flooded.
 *
 * <pre>{@code
 * PoolOptions pool = PoolOptions.builder()
 *     .maxConnectionsPerDestination(20)
 *     .maxPendingConnectsPerDestination(4)
 *     .maxMessagesPerConnection(500)
 *     .maxIdleTime(Duration.ofSeconds(10))
 *     .build();
 * }</pre>
 */
public final class PoolOptions {

    /** Default bound of open connections to one destination. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_DESTINATION = 10;
    /** Default bound of connections being opened (connect, greeting, EHLO, TLS, AUTH) at once to one destination. */
    public static final int DEFAULT_MAX_PENDING_CONNECTS_PER_DESTINATION = 8;
    /**
     * Default connections the budget allows beyond the in-flight limit (when {@link Builder#maxConnections(int)} is
     * not set): idle connections kept for the destinations that come back.
     */
    public static final int DEFAULT_IDLE_ALLOWANCE = 16;
    /** Default bound of sends waiting for a connection, per destination and for the overall bound. */
    public static final int DEFAULT_MAX_PENDING_ACQUIRES = 10_000;
    /** Default longest wait for a connection before a send fails. */
    public static final Duration DEFAULT_PENDING_ACQUIRE_TIMEOUT = Duration.ofSeconds(60);
    /** Default number of messages one connection carries before it is closed with QUIT. */
    public static final int DEFAULT_MAX_MESSAGES_PER_CONNECTION = 100;
    /** Default age after which a connection is closed (when next idle). */
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofMinutes(10);
    /** Default idle time after which a connection to a relay is closed with QUIT in the background. */
    public static final Duration DEFAULT_MAX_IDLE_TIME = Duration.ofSeconds(30);
    /**
     * Default idle time after which a connection to an MX host ({@link Routing#mx MX routing}) is closed with QUIT:
     * two seconds, as Postfix's connection cache ({@code smtp_connection_cache_time_limit}).
     */
    public static final Duration DEFAULT_MX_IDLE_TIME = Duration.ofSeconds(2);

    /** The defaults. */
    public static final PoolOptions DEFAULT = builder().build();

    private final int maxConnectionsPerDestination;
    private final int maxPendingConnectsPerDestination;
    /** Null: the budget follows the in-flight limit. */
    private final Integer maxConnections;
    private final int idleAllowance;
    private final int maxPendingAcquires;
    private final Duration pendingAcquireTimeout;
    private final int maxMessagesPerConnection;
    private final Duration maxLifetime;
    private final Duration maxIdleTime;
    private final Duration mxIdleTime;

    private PoolOptions(Builder b) {
        this.maxConnectionsPerDestination = b.maxConnectionsPerDestination;
        this.maxPendingConnectsPerDestination = b.maxPendingConnectsPerDestination;
        this.maxConnections = b.maxConnections;
        this.idleAllowance = b.idleAllowance;
        this.maxPendingAcquires = b.maxPendingAcquires;
        this.pendingAcquireTimeout = b.pendingAcquireTimeout;
        this.maxMessagesPerConnection = b.maxMessagesPerConnection;
        this.maxLifetime = b.maxLifetime;
        this.maxIdleTime = b.maxIdleTime;
        this.mxIdleTime = b.mxIdleTime;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these options */
    public Builder mutate() {
        Builder b = new Builder();
        b.maxConnectionsPerDestination = maxConnectionsPerDestination;
        b.maxPendingConnectsPerDestination = maxPendingConnectsPerDestination;
        b.maxConnections = maxConnections;
        b.idleAllowance = idleAllowance;
        b.maxPendingAcquires = maxPendingAcquires;
        b.pendingAcquireTimeout = pendingAcquireTimeout;
        b.maxMessagesPerConnection = maxMessagesPerConnection;
        b.maxLifetime = maxLifetime;
        b.maxIdleTime = maxIdleTime;
        b.mxIdleTime = mxIdleTime;
        return b;
    }

    /** @return the bound of open connections to one destination */
    public int maxConnectionsPerDestination() {
        return maxConnectionsPerDestination;
    }

    /**
     * @return the bound of connections being opened at once to one destination; sends beyond it wait for a
     *     connection (see {@link Builder#maxPendingConnectsPerDestination(int)})
     */
    public int maxPendingConnectsPerDestination() {
        return maxPendingConnectsPerDestination;
    }

    /**
     * @return the connection budget set with {@link Builder#maxConnections(int)}, or 0 when it follows the client's
     *     in-flight limit (see {@link #connectionBudget(int)})
     */
    public int maxConnections() {
        return maxConnections == null ? 0 : maxConnections;
    }

    /** @return connections the default budget allows beyond the in-flight limit */
    public int idleAllowance() {
        return idleAllowance;
    }

    /**
     * @param maxInFlight the client's in-flight limit ({@link SmtpClientOptions#maxInFlight()})
     * @return the connection budget: connections open at once over all destinations, idle ones included; the
     *     explicit {@link #maxConnections()}, or {@code maxInFlight + idleAllowance}
     */
    public int connectionBudget(int maxInFlight) {
        return maxConnections != null ? maxConnections
                : (int) Math.min(Integer.MAX_VALUE, (long) Math.max(1, maxInFlight) + idleAllowance);
    }

    /** @return the bound of sends waiting for a connection (per destination, and for the overall bound) */
    public int maxPendingAcquires() {
        return maxPendingAcquires;
    }

    /** @return the longest wait for a connection */
    public Duration pendingAcquireTimeout() {
        return pendingAcquireTimeout;
    }

    /** @return how many messages one connection carries before it is closed */
    public int maxMessagesPerConnection() {
        return maxMessagesPerConnection;
    }

    /** @return the age after which a connection is closed */
    public Duration maxLifetime() {
        return maxLifetime;
    }

    /** @return the idle time after which a connection to a relay is closed */
    public Duration maxIdleTime() {
        return maxIdleTime;
    }

    /** @return the idle time after which a connection to an MX host is closed */
    public Duration mxIdleTime() {
        return mxIdleTime;
    }

    @Override
    public String toString() {
        return "PoolOptions{perDestination=" + maxConnectionsPerDestination
                + ", pendingConnectsPerDestination=" + maxPendingConnectsPerDestination
                + ", max=" + (maxConnections == null ? "inFlight+" + idleAllowance : maxConnections)
                + ", maxPendingAcquires=" + maxPendingAcquires + ", pendingAcquireTimeout=" + pendingAcquireTimeout
                + ", maxMessagesPerConnection=" + maxMessagesPerConnection + ", maxLifetime=" + maxLifetime
                + ", maxIdleTime=" + maxIdleTime + ", mxIdleTime=" + mxIdleTime + "}";
    }

    /** Builds {@link PoolOptions}; every value is checked at {@link #build()}. */
    public static final class Builder {
        private int maxConnectionsPerDestination = DEFAULT_MAX_CONNECTIONS_PER_DESTINATION;
        private int maxPendingConnectsPerDestination = DEFAULT_MAX_PENDING_CONNECTS_PER_DESTINATION;
        private Integer maxConnections;
        private int idleAllowance = DEFAULT_IDLE_ALLOWANCE;
        private int maxPendingAcquires = DEFAULT_MAX_PENDING_ACQUIRES;
        private Duration pendingAcquireTimeout = DEFAULT_PENDING_ACQUIRE_TIMEOUT;
        private int maxMessagesPerConnection = DEFAULT_MAX_MESSAGES_PER_CONNECTION;
        private Duration maxLifetime = DEFAULT_MAX_LIFETIME;
        private Duration maxIdleTime = DEFAULT_MAX_IDLE_TIME;
        private Duration mxIdleTime = DEFAULT_MX_IDLE_TIME;

        private Builder() {
        }

        /** @param n open connections to one destination, at least 1 @return this */
        public Builder maxConnectionsPerDestination(int n) {
            this.maxConnectionsPerDestination = n;
            return this;
        }

        /**
         * Bounds the connections being opened at once to one destination: from the start of the TCP connect until
         * the session is ready (greeting, EHLO, STARTTLS, AUTH). A burst of sends to one destination then opens
         * connections a few at a time instead of all at once, which a server would answer with a full listen
         * backlog, dropped connects or 421s; the sends beyond wait for a connection, new or freed, within
         * {@link #pendingAcquireTimeout(Duration)}. Above {@link #maxConnectionsPerDestination(int)} it has no
         * effect.
         *
         * @param n connections being opened at once to one destination, at least 1
         * @return this
         */
        public Builder maxPendingConnectsPerDestination(int n) {
            this.maxPendingConnectsPerDestination = n;
            return this;
        }

        /**
         * Sets the connection budget: connections open at once over all destinations, idle ones included. Without
         * it the budget is the client's in-flight limit plus {@link #idleAllowance(int)}.
         *
         * @param n open connections over all destinations, at least 1 and at least maxConnectionsPerDestination
         * @return this
         */
        public Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        /**
         * @param n connections the default budget allows beyond the in-flight limit, for idle connections kept for
         *     reuse; at least 0 (ignored when {@link #maxConnections(int)} is set)
         * @return this
         */
        public Builder idleAllowance(int n) {
            this.idleAllowance = n;
            return this;
        }

        /** @param n sends waiting for a connection, at least 1 @return this */
        public Builder maxPendingAcquires(int n) {
            this.maxPendingAcquires = n;
            return this;
        }

        /** @param timeout the longest wait for a connection, positive @return this */
        public Builder pendingAcquireTimeout(Duration timeout) {
            this.pendingAcquireTimeout = timeout;
            return this;
        }

        /** @param n messages per connection, at least 1 @return this */
        public Builder maxMessagesPerConnection(int n) {
            this.maxMessagesPerConnection = n;
            return this;
        }

        /** @param lifetime the age after which a connection is closed, positive @return this */
        public Builder maxLifetime(Duration lifetime) {
            this.maxLifetime = lifetime;
            return this;
        }

        /**
         * @param idle the idle time after which a connection to a relay is closed, positive (MX hosts: see
         *     {@link #mxIdleTime(Duration)})
         * @return this
         */
        public Builder maxIdleTime(Duration idle) {
            this.maxIdleTime = idle;
            return this;
        }

        /**
         * @param idle the idle time after which a connection to a recipient's MX host ({@link Routing#mx MX
         *     routing}) is closed, positive; seconds, as Postfix's connection cache, since such a connection is
         *     rarely needed again soon
         * @return this
         */
        public Builder mxIdleTime(Duration idle) {
            this.mxIdleTime = idle;
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException naming the first value out of range
         */
        public PoolOptions build() {
            atLeastOne("maxConnectionsPerDestination", maxConnectionsPerDestination);
            atLeastOne("maxPendingConnectsPerDestination", maxPendingConnectsPerDestination);
            if (maxConnections != null) {
                atLeastOne("maxConnections", maxConnections);
            }
            if (idleAllowance < 0) {
                throw new IllegalArgumentException("idleAllowance must not be negative: " + idleAllowance);
            }
            atLeastOne("maxPendingAcquires", maxPendingAcquires);
            atLeastOne("maxMessagesPerConnection", maxMessagesPerConnection);
            positive("pendingAcquireTimeout", pendingAcquireTimeout);
            positive("maxLifetime", maxLifetime);
            positive("maxIdleTime", maxIdleTime);
            positive("mxIdleTime", mxIdleTime);
            if (maxConnections != null && maxConnectionsPerDestination > maxConnections) {
                throw new IllegalArgumentException("maxConnectionsPerDestination " + maxConnectionsPerDestination
                        + " exceeds maxConnections " + maxConnections);
            }
            return new PoolOptions(this);
        }

        private static void atLeastOne(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be at least 1: " + value);
            }
        }

        private static void positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive: " + value);
            }
        }
    }
}
