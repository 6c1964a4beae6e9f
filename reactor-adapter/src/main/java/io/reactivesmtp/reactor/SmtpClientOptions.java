package io.reactivesmtp.reactor;

import io.reactivesmtp.SmtpSessionOptions;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import reactor.netty.resources.LoopResources;

/**
 * Where an {@link SmtpClient} sends, how its sessions behave, how they are pooled and how much it sends at once.
 * Immutable; build with {@link #builder()}, change with {@link #mutate()}.
 *
 * <pre>{@code
 * SmtpClientOptions options = SmtpClientOptions.builder()
 *     .relay("smtp.example.com", 587)
 *     .session(SmtpSessionOptions.builder().heloName("app.example.com").build())
 *     .pool(PoolOptions.builder().maxConnectionsPerDestination(20).build())
 *     .maxInFlight(200)
 *     .build();
 * }</pre>
 */
public final class SmtpClientOptions {

    /** The default SMTP port for relaying and for MX delivery (RFC 5321); submission is 587 (RFC 6409). */
    public static final int DEFAULT_PORT = 25;
    /** The default port of the mail exchangers in MX mode. */
    public static final int DEFAULT_MX_PORT = 25;
    /** The default number of event-loop threads a client creates: one drives thousands of sessions. */
    public static final int DEFAULT_EVENT_LOOP_THREADS = 1;
    /** The default bound of messages {@link SmtpClient#sendAll} has in flight at once. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 100;

    private final Routing routing;
    private final SmtpSessionOptions session;
    private final PoolOptions pool;
    private final LoopResources loopResources;
    private final int eventLoopThreads;
    private final InetSocketAddress localAddress;
    private final int mxPort;
    private final int maxInFlight;
    private final int maxInFlightPerDestination;
    private final SmtpEventListener eventListener;

    private SmtpClientOptions(Builder b) {
        this.routing = b.routing;
        this.session = b.session;
        this.pool = b.pool;
        this.loopResources = b.loopResources;
        this.eventLoopThreads = b.eventLoopThreads;
        this.localAddress = b.localAddress;
        this.mxPort = b.mxPort;
        this.maxInFlight = b.maxInFlight;
        this.maxInFlightPerDestination = b.maxInFlightPerDestination > 0
                ? b.maxInFlightPerDestination : b.pool.maxConnectionsPerDestination();
        this.eventListener = b.eventListener;
    }

    /** @return a builder; {@link Builder#relay(String, int)} or {@link Builder#routing(Routing)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these options */
    public Builder mutate() {
        Builder b = new Builder();
        b.routing = routing;
        b.session = session;
        b.pool = pool;
        b.loopResources = loopResources;
        b.eventLoopThreads = eventLoopThreads;
        b.localAddress = localAddress;
        b.mxPort = mxPort;
        b.maxInFlight = maxInFlight;
        b.maxInFlightPerDestination = maxInFlightPerDestination;
        b.eventListener = eventListener;
        return b;
    }

    /** @return where messages go */
    public Routing routing() {
        return routing;
    }

    /** @return the first relay's host name, or null in MX mode */
    public String host() {
        return routing.isMx() ? null : routing.relays().get(0).getHostString();
    }

    /** @return the first relay's port, or the MX port in MX mode */
    public int port() {
        return routing.isMx() ? mxPort : routing.relays().get(0).getPort();
    }

    /** @return how each session behaves */
    public SmtpSessionOptions session() {
        return session;
    }

    /** @return how sessions are pooled */
    public PoolOptions pool() {
        return pool;
    }

    /** @return the shared event loops, if the caller handed some in; otherwise the client creates its own */
    public Optional<LoopResources> loopResources() {
        return Optional.ofNullable(loopResources);
    }

    /** @return how many event-loop threads the client creates when no {@link #loopResources()} are given */
    public int eventLoopThreads() {
        return eventLoopThreads;
    }

    /** @return the local address connections are made from, if set */
    public Optional<InetSocketAddress> localAddress() {
        return Optional.ofNullable(localAddress);
    }

    /** @return the port of the mail exchangers in MX mode */
    public int mxPort() {
        return mxPort;
    }

    /** @return the bound of messages {@link SmtpClient#sendAll} has in flight at once */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** @return the bound of messages {@link SmtpClient#sendAll} has in flight to one destination */
    public int maxInFlightPerDestination() {
        return maxInFlightPerDestination;
    }

    /** @return the listener told about every phase */
    public SmtpEventListener eventListener() {
        return eventListener;
    }

    @Override
    public String toString() {
        return "SmtpClientOptions{" + routing + ", " + pool + ", maxInFlight=" + maxInFlight
                + ", maxInFlightPerDestination=" + maxInFlightPerDestination + "}";
    }

    /** Builds {@link SmtpClientOptions}, validating each input. */
    public static final class Builder {
        private Routing routing;
        private SmtpSessionOptions session = SmtpSessionOptions.DEFAULT;
        private PoolOptions pool = PoolOptions.DEFAULT;
        private LoopResources loopResources;
        private int eventLoopThreads = DEFAULT_EVENT_LOOP_THREADS;
        private InetSocketAddress localAddress;
        private int mxPort = DEFAULT_MX_PORT;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        /** 0: follow the pool's maxConnectionsPerDestination. */
        private int maxInFlightPerDestination;
        private SmtpEventListener eventListener = SmtpEventListener.NONE;

        private Builder() {
        }

        /**
         * Sends everything through one relay; same as {@code routing(Routing.relay(host, port))}.
         *
         * @param host the relay server's host name or address
         * @param port its port, 1 to 65535
         * @return this
         */
        public Builder relay(String host, int port) {
            this.routing = Routing.relay(host, port);
            return this;
        }

        /** @param routing relays or MX @return this */
        public Builder routing(Routing routing) {
            this.routing = Objects.requireNonNull(routing, "routing");
            return this;
        }

        /** @param session how each session behaves @return this */
        public Builder session(SmtpSessionOptions session) {
            this.session = Objects.requireNonNull(session, "session");
            return this;
        }

        /** @param pool how sessions are pooled @return this */
        public Builder pool(PoolOptions pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /**
         * Runs on shared event loops; the client then never shuts them down.
         *
         * @param loops the event loops
         * @return this
         */
        public Builder loopResources(LoopResources loops) {
            this.loopResources = Objects.requireNonNull(loops, "loops");
            return this;
        }

        /** @param threads event-loop threads the client creates for itself, at least 1 @return this */
        public Builder eventLoopThreads(int threads) {
            this.eventLoopThreads = threads;
            return this;
        }

        /** @param address the local address to connect from (port 0 for any) @return this */
        public Builder localAddress(InetSocketAddress address) {
            this.localAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** @param port the port of the mail exchangers in MX mode (25 but in tests), 1 to 65535 @return this */
        public Builder mxPort(int port) {
            this.mxPort = port;
            return this;
        }

        /** @param n messages {@link SmtpClient#sendAll} has in flight at once, at least 1 @return this */
        public Builder maxInFlight(int n) {
            this.maxInFlight = n;
            return this;
        }

        /**
         * @param n messages {@link SmtpClient#sendAll} has in flight to one destination (a relay routing, or
         *     one recipient domain in MX mode), at least 1; defaults to the pool's maxConnectionsPerDestination
         * @return this
         */
        public Builder maxInFlightPerDestination(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxInFlightPerDestination must be at least 1: " + n);
            }
            this.maxInFlightPerDestination = n;
            return this;
        }

        /** @param listener told about every phase; its exceptions are ignored @return this */
        public Builder eventListener(SmtpEventListener listener) {
            this.eventListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @return the options
         * @throws IllegalStateException if no routing was set
         * @throws IllegalArgumentException naming the first value out of range
         */
        public SmtpClientOptions build() {
            if (routing == null) {
                throw new IllegalStateException("no relay server: call relay(host, port) or routing(..)");
            }
            if (eventLoopThreads < 1) {
                throw new IllegalArgumentException("eventLoopThreads must be at least 1: " + eventLoopThreads);
            }
            if (mxPort < 1 || mxPort > 65535) {
                throw new IllegalArgumentException("invalid mxPort " + mxPort + ": expected 1-65535");
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
            }
            return new SmtpClientOptions(this);
        }
    }
}
